"""Contract tests for `headrace submit`: the kubernetes client's requests, checked by a local
server against the custom-objects API for argoproj.io/v1alpha1 workflows, whose bodies must be
valid Workflows (both Argo JSON schemas, no field unknown to the CRD)."""

from __future__ import annotations

import pytest
from kubernetes import client

from headrace.compiler import compile_pipeline
from headrace.compiler.argo_submit import submit
from headrace.compiler.errors import DeployError
from tests.compiler.fake_servers import FakeServer, Request, check_k8s_request, k8s_status
from tests.compiler.helpers import BASE
from tests.compiler.pipelines import penguin
from tests.compiler.schema_check import JSON_SCHEMAS, crd_problems, schema_errors


class FakeKubernetes:
    """Creates workflows (name = generateName + 5 characters); each GET advances the phase."""

    def __init__(self, phases=("Running", "Running", "Succeeded"), refuse=None):
        self.phases = list(phases)
        self.refuse = refuse
        self.created: dict[str, dict] = {}
        self.server = FakeServer(self.route, self.check)

    def check(self, request: Request) -> list[str]:
        problems = check_k8s_request(request)
        if request.method == "POST" and not problems:
            body = request.json()
            for schema in JSON_SCHEMAS:
                problems += schema_errors(body, schema)
            problems += crd_problems(body)
        return problems

    def route(self, request: Request) -> tuple[int, object]:
        if self.refuse:
            return self.refuse, k8s_status(self.refuse, "Forbidden", 'workflows.argoproj.io is '
                                           'forbidden: User "me" cannot create resource')
        namespace = request.path.split("/")[5]
        if request.method == "POST":
            body = request.json()
            body["metadata"]["name"] = body["metadata"].pop("generateName") + "x7k2p"
            body["metadata"]["uid"] = "5f0c"
            self.created[body["metadata"]["name"]] = body
            return 201, body
        name = request.path.rsplit("/", 1)[-1]
        if name not in self.created:
            return 404, k8s_status(404, "NotFound", f'workflows "{name}" not found')
        phase = self.phases.pop(0) if len(self.phases) > 1 else self.phases[0]
        nodes = {"n1": {"id": "n1", "displayName": "csv-example-gen", "type": "Pod",
                        "phase": "Succeeded" if phase == "Succeeded" else "Running",
                        "startedAt": "2026-11-22T05:00:00Z"}}
        return 200, {**self.created[name], "status": {"phase": phase, "nodes": nodes}} | {
            "metadata": {**self.created[name]["metadata"], "namespace": namespace}}


@pytest.fixture
def workflow(tmp_path):
    path = tmp_path / "penguin.yaml"
    path.write_text(compile_pipeline(penguin(), BASE.override(namespace="ml")))
    return path


def _api(url: str) -> client.ApiClient:
    configuration = client.Configuration()
    configuration.host = url
    return client.ApiClient(configuration)


def test_contract_submit_creates_the_workflow_in_its_namespace(workflow):
    fake = FakeKubernetes()
    with fake.server:
        done = submit(workflow, api_client=_api(fake.server.url))
    assert fake.server.problems == []
    (request,) = fake.server.requests
    assert (request.method, request.path) == (
        "POST", "/apis/argoproj.io/v1alpha1/namespaces/ml/workflows")
    assert (done.name, done.namespace, done.phase) == ("penguin-simple-x7k2p", "ml", None)


def test_contract_the_namespace_flag_wins_over_the_files(workflow):
    fake = FakeKubernetes()
    with fake.server:
        done = submit(workflow, namespace="team-a", api_client=_api(fake.server.url))
    assert fake.server.problems == []
    assert fake.server.requests[0].path == "/apis/argoproj.io/v1alpha1/namespaces/team-a/workflows"
    assert fake.server.requests[0].json()["metadata"]["namespace"] == "team-a"
    assert done.namespace == "team-a"


def test_contract_watch_polls_until_the_workflow_finishes(workflow):
    fake = FakeKubernetes()
    progress = []
    with fake.server:
        done = submit(workflow, watch=True, poll_seconds=0.01, api_client=_api(fake.server.url),
                      on_progress=lambda step, phase: progress.append((step, phase)))
    assert fake.server.problems == []
    assert [r.method for r in fake.server.requests] == ["POST", "GET", "GET", "GET"]
    assert fake.server.requests[1].path.endswith("/namespaces/ml/workflows/penguin-simple-x7k2p")
    assert done.phase == "Succeeded"
    assert progress == [("csv-example-gen", "Running"), ("csv-example-gen", "Succeeded")]


def test_contract_a_watch_can_time_out(workflow):
    fake = FakeKubernetes(phases=("Running",))
    with fake.server:
        done = submit(workflow, watch=True, poll_seconds=0.01, timeout_seconds=0.05,
                      api_client=_api(fake.server.url))
    assert done.phase == "Running" and "timed out" in done.message


def test_contract_a_refusal_says_what_the_api_server_said(workflow):
    fake = FakeKubernetes(refuse=403)
    with fake.server, pytest.raises(DeployError, match=r"403 Forbidden: workflows.argoproj.io "
                                                       r"is forbidden.*namespace 'ml'"):
        submit(workflow, api_client=_api(fake.server.url))


def test_an_unreachable_api_server_is_a_deploy_error(workflow):
    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"
    configuration.retries = 0
    with pytest.raises(DeployError, match=r"Cannot reach the Kubernetes API"):
        submit(workflow, api_client=client.ApiClient(configuration))
