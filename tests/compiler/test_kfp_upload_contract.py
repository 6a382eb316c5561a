"""Contract tests for `headrace upload`: the kfp client's requests, checked against Kubeflow
Pipelines' own API specs (v2beta1 pipeline and pipeline-upload swagger) by a local server."""

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
    with pytest.raises(DeployError, match=r"is not an Argo Workflow"):
        upload(path, host="http://127.0.0.1:9")
