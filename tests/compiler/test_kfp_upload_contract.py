"""Contract tests for `headrace upload`: the kfp client's requests, checked against Kubeflow
Pipelines' own API specs (v1beta1 and v2beta1 pipeline, pipeline-upload and run swagger) by a
local server, for both formats: an Argo Workflow and a KFP v2 pipeline spec."""

from __future__ import annotations

import json

import pytest

from headrace.compiler import compile_pipeline
from headrace.compiler.errors import DeployError
from headrace.compiler.kfp_upload import upload
from tests.compiler.fake_servers import (
    HEALTHZ,
    FakeServer,
    Request,
    check_kfp_request,
    kfp_response_problems,
)
from tests.compiler.helpers import BASE
from tests.compiler.pipelines import penguin


class FakeKfp:
    """Just enough of the KFP API server: pipelines by display name, uploads, versions."""

    def __init__(self, existing: dict[str, str] | None = None, fail: tuple[int, str] | None = None):
        self.pipelines = dict(existing or {})
        self.fail = fail
        self.server = FakeServer(self.route, check_kfp_request)

    def route(self, request: Request) -> tuple[int, object]:
        status, payload = self._answer(request)
        self.server.problems += kfp_response_problems(request, status, payload)
        return status, payload

    def _answer(self, request: Request) -> tuple[int, object]:
        if request.path == HEALTHZ:
            return 200, {"commit_sha": "0" * 40, "tag_name": "2.5.0", "multi_user": False}
        if self.fail:
            return self.fail[0], {"code": 6, "message": self.fail[1]}
        if request.path.endswith("/versions"):
            pipeline_id = request.path.split("/")[-2]
            return 200, {"pipeline_versions": [
                {"pipeline_id": pipeline_id, "pipeline_version_id": f"{pipeline_id}-v1",
                 "display_name": "v1"}], "total_size": 1}
        if request.path == "/apis/v2beta1/runs":
            body = request.json()
            return 200, {"run_id": "run-v2", "display_name": body["display_name"],
                         "pipeline_version_reference": body["pipeline_version_reference"],
                         "runtime_config": body.get("runtime_config", {}), "state": "PENDING"}
        if request.path == "/apis/v1beta1/runs":
            body = request.json()
            return 200, {"run": {"id": "run-v1", "name": body["name"],
                                 "pipeline_spec": body["pipeline_spec"],
                                 "resource_references": body["resource_references"]}}
        if request.method == "GET":
            predicate = json.loads(request.query["filter"][0])["predicates"][0]
            assert predicate["key"] == "display_name"
            name = predicate["stringValue"]
            found = [{"pipeline_id": self.pipelines[name], "display_name": name}] \
                if name in self.pipelines else []
            return 200, {"pipelines": found, "total_size": len(found)}
        name = request.query["name"][0]
        if request.path.endswith("/upload"):
            self.pipelines[name] = f"pipeline-{len(self.pipelines) + 1}"
            return 200, {"pipeline_id": self.pipelines[name], "display_name": name,
                         "description": request.query.get("description", [""])[0],
                         "created_at": "2026-11-22T05:00:00Z"}
        return 200, {"pipeline_id": request.query["pipelineid"][0], "display_name": name,
                     "pipeline_version_id": "version-1", "created_at": "2026-11-22T05:00:00Z"}


@pytest.fixture(autouse=True)
def _kfp_context(tmp_path, monkeypatch):
    # The kfp client records its settings in ~/.config/kfp; keep tests out of the real one.
    from kfp.client import client

    monkeypatch.setattr(client.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "kfp-context.json"))


@pytest.fixture
def workflow(tmp_path):
    path = tmp_path / "penguin.yaml"
    path.write_text(compile_pipeline(penguin(), BASE))
    return path


def test_contract_upload_a_new_pipeline(workflow):
    fake = FakeKfp()
    with fake.server:
        done = upload(workflow, host=fake.server.url)
    assert fake.server.problems == []
    healthz, request = fake.server.requests
    assert healthz.path == HEALTHZ
    assert (request.method, request.path) == ("POST", "/apis/v2beta1/pipelines/upload")
    assert request.query["name"] == ["penguin_simple"]
    assert request.query["description"] == [
        "The penguin example's shape: TFX-style components on Argo."]
    filename, data = request.form["uploadfile"]
    assert filename == "penguin.yaml" and data == workflow.read_bytes()
    assert done.pipeline_id == "pipeline-1" and done.version is None
    assert done.url == f"{fake.server.url}/#/pipelines/details/pipeline-1"


def test_contract_upload_a_version_of_an_existing_pipeline(workflow):
    fake = FakeKfp(existing={"penguin": "pipeline-7"})
    with fake.server:
        done = upload(workflow, host=fake.server.url, name="penguin", version="v2")
    assert fake.server.problems == []
    _, listing, version = fake.server.requests
    assert (listing.method, listing.path) == ("GET", "/apis/v2beta1/pipelines")
    assert (version.method, version.path) == ("POST", "/apis/v2beta1/pipelines/upload_version")
    assert version.query["name"] == ["v2"] and version.query["pipelineid"] == ["pipeline-7"]
    assert version.form["uploadfile"][1] == workflow.read_bytes()
    assert (done.pipeline_id, done.version_id, done.version) == ("pipeline-7", "version-1", "v2")
    assert done.url.endswith("/#/pipelines/details/pipeline-7/version/version-1")


def test_contract_a_version_of_a_new_pipeline_creates_the_pipeline_first(workflow):
    fake = FakeKfp()
    with fake.server:
        done = upload(workflow, host=fake.server.url, version="2026-11-22")
    assert fake.server.problems == []
    assert [r.path.rsplit("/", 1)[-1] for r in fake.server.requests] == [
        "healthz", "pipelines", "upload", "upload_version"]
    assert done.pipeline_id == "pipeline-1" and done.version_id == "version-1"


def test_contract_a_refusal_reports_the_servers_status_and_message(workflow):
    fake = FakeKfp(fail=(409, "Failed to create a pipeline. The pipeline already exists."))
    with fake.server, pytest.raises(DeployError, match=r"answered 409 .*The pipeline already "
                                                         r"exists"):
        upload(workflow, host=fake.server.url)


def test_a_file_with_another_extension_is_uploaded_as_yaml(tmp_path, workflow):
    other = tmp_path / "workflow.out"
    other.write_bytes(workflow.read_bytes())
    fake = FakeKfp()
    with fake.server:
        upload(other, host=fake.server.url)
    assert fake.server.requests[-1].form["uploadfile"][0] == "workflow.yaml"


def test_an_unreachable_host_says_how_to_reach_kfp(workflow):
    with pytest.raises(DeployError, match=r"Cannot reach Kubeflow Pipelines at "
                                          r"http://127.0.0.1:9.*port-forward"):
        upload(workflow, host="http://127.0.0.1:9")


def test_a_file_that_is_not_a_workflow_is_refused_before_any_request(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("kind: ConfigMap\n")
    with pytest.raises(DeployError, match=r"is neither an Argo Workflow .* nor a KFP pipeline"):
        upload(path, host="http://127.0.0.1:9")


# --- both formats, and runs with parameters (issue 16 point 5, issue 17 point 4) -------------


@pytest.fixture
def v2_spec(tmp_path):
    from headrace.compiler.kfp_v2 import compile_kfp

    path = tmp_path / "penguin-v2.yaml"
    path.write_text(compile_kfp(penguin(), BASE).yaml)
    return path


def test_contract_a_v2_spec_is_uploaded_as_it_is(v2_spec):
    fake = FakeKfp()
    with fake.server:
        done = upload(v2_spec, host=fake.server.url)
    assert fake.server.problems == []
    upload_request = fake.server.requests[-1]
    assert upload_request.path == "/apis/v2beta1/pipelines/upload"
    assert upload_request.form["uploadfile"][1] == v2_spec.read_bytes()
    assert done.format == "kfp" and done.run is None
    assert upload_request.query["name"] == ["penguin_simple"]


def test_contract_a_v2_run_passes_typed_parameters_as_v2beta1_runtime_config(v2_spec):
    fake = FakeKfp()
    with fake.server:
        done = upload(v2_spec, host=fake.server.url, run=True,
                      parameters={"train-steps": "500", "threshold": "1"})
    assert fake.server.problems == []
    runs = [r for r in fake.server.requests if r.path.endswith("/runs")]
    assert [r.path for r in runs] == ["/apis/v2beta1/runs"]
    body = runs[0].json()
    assert body["runtime_config"]["parameters"] == {"train-steps": 500, "threshold": 1.0}
    assert body["pipeline_version_reference"] == {"pipeline_id": "pipeline-1",
                                                  "pipeline_version_id": "pipeline-1-v1"}
    assert done.run is not None and (done.run.api, done.run.run_id) == ("v2beta1", "run-v2")
    assert done.run.url == f"{fake.server.url}/#/runs/details/run-v2"


def test_contract_an_argo_run_passes_parameters_through_v1beta1(workflow):
    # v2beta1 would keep an Argo template's parameters in runtime_config only, and the workflow
    # would run with its defaults (kubeflow/pipelines#10346): the run must go through v1beta1.
    fake = FakeKfp(existing={"penguin": "pipeline-7"})
    with fake.server:
        done = upload(workflow, host=fake.server.url, name="penguin", version="v3", run=True,
                      parameters={"train-steps": "500"}, run_name="nightly",
                      service_account="pipeline-runner")
    assert fake.server.problems == []
    runs = [r for r in fake.server.requests if r.path.endswith("/runs")]
    assert [r.path for r in runs] == ["/apis/v1beta1/runs"]
    body = runs[0].json()
    assert body["name"] == "nightly" and body["service_account"] == "pipeline-runner"
    assert body["pipeline_spec"]["parameters"] == [{"name": "train-steps", "value": "500"}]
    assert body["resource_references"] == [
        {"key": {"type": "PIPELINE_VERSION", "id": "version-1"}, "relationship": "CREATOR"}]
    assert done.run is not None and (done.run.api, done.run.run_id) == ("v1beta1", "run-v1")


def test_contract_the_v1beta1_request_carries_the_clients_credentials(workflow, monkeypatch):
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", "/nonexistent")
    from kfp.client import client as kfp_client

    fake = FakeKfp()
    with fake.server:
        kfp = kfp_client.Client(host=fake.server.url, existing_token="token-123")
        upload(workflow, host=fake.server.url, run=True, parameters={"threshold": "0.9"},
               client=kfp)
    assert fake.server.problems == []
    v1 = next(r for r in fake.server.requests if r.path == "/apis/v1beta1/runs")
    assert v1.headers["authorization"] == "Bearer token-123"
    assert v1.json()["pipeline_spec"]["parameters"] == [{"name": "threshold", "value": "0.9"}]


@pytest.mark.parametrize(("parameters", "message"), [
    ({"steps": "5"}, r"'steps' is not a parameter of pipeline 'penguin_simple'; it declares "
                     r"threshold \(float\), train-steps \(int\)"),
    ({"train-steps": "many"}, r"'train-steps' takes an int value; 'many' is not one"),
    ({"train-steps": "true"}, r"'train-steps' takes an int value"),
])
def test_bad_run_parameters_are_refused_before_any_request(v2_spec, workflow, parameters,
                                                           message):
    for path in (v2_spec, workflow):
        with pytest.raises(DeployError, match=message):
            upload(path, host="http://127.0.0.1:9", run=True, parameters=parameters)


def test_parameters_without_run_are_refused(workflow):
    with pytest.raises(DeployError, match=r"need --run"):
        upload(workflow, host="http://127.0.0.1:9", parameters={"threshold": "1"})


def test_cli_upload_run_with_parameters(v2_spec, monkeypatch):
    from click.testing import CliRunner

    from headrace.cli import main

    fake = FakeKfp()
    with fake.server:
        result = CliRunner().invoke(main, [
            "upload", str(v2_spec), "--host", fake.server.url, "--run",
            "--param", "train-steps=50", "--run-name", "try"])
    assert result.exit_code == 0, result.output
    assert fake.server.problems == []
    assert "Uploaded v2 pipeline penguin_simple" in result.output
    assert "Started run run-v2 (KFP v2beta1 API)" in result.output
    run = next(r for r in fake.server.requests if r.path == "/apis/v2beta1/runs")
    assert run.json()["display_name"] == "try"
    assert run.json()["runtime_config"]["parameters"] == {"train-steps": 50}


def test_cli_upload_refuses_a_bad_parameter_with_the_reason(workflow):
    from click.testing import CliRunner

    from headrace.cli import main

    result = CliRunner().invoke(main, ["upload", str(workflow), "--host", "http://127.0.0.1:9",
                                       "--run", "--param", "nope=1"])
    assert result.exit_code == 2
    assert "'nope' is not a parameter of pipeline 'penguin_simple'" in result.output
