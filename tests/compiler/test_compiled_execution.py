"""Proof by execution, without a cluster: the compiled YAML of a pipeline with a Beam step runs
through the harness, every step a process sharing one MariaDB-backed MLMD, the Beam step
submitted with the Flink-mode flags to Beam's local job service and served by the worker-pool
sidecar the YAML declares. Then `headrace runs show` on that MLMD shows the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from headrace.compiler import BeamOptions, CompileOptions, SecretRef, compile_pipeline
from headrace.replay import TaskFailed, run_workflow
from tests.compiler.pipelines import REPO, word_count

pytest.importorskip(
    "headrace.entrypoint",
    reason="the container entrypoint (python -m headrace.entrypoint) is not written yet",
)
pytestmark = pytest.mark.mysql
SECRET = SecretRef(name="mlmd-mysql", key="password")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def job_service():
    """Beam's local job service: the portable-runner path Flink and Spark job servers serve."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("Beam's local job service did not start")
        time.sleep(0.2)
    yield f"localhost:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _options(tmp_path, metadata: str, beam: BeamOptions) -> CompileOptions:
    root = tmp_path / "pipelines"  # stands in for the PVC, mounted at the same path
    root.mkdir()
    return CompileOptions(
        image="headrace:test", pipeline_root=str(root), root_volume_claim="headrace-pipelines",
        metadata=metadata, mysql_password_secret=SECRET, beam=beam,
        ui_metadata_path=str(tmp_path / "ui" / "mlpipeline-ui-metadata.json"),
    )


def _secrets():
    return {SECRET.name: {SECRET.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}}


def test_the_compiled_workflow_runs_with_beam_on_the_portable_runner(tmp_path, mysql_url,
                                                                      job_service):
    beam = BeamOptions(runner="flink", job_endpoint=job_service, worker_pool="step",
                       worker_pool_port=_free_port(), nodes=("beam_count",))
    text = compile_pipeline(word_count(), _options(tmp_path, mysql_url, beam))
    assert os.environ["HEADRACE_MYSQL_PASSWORD"] not in text

    runs = run_workflow(text, workflow_name="word-count-x7k2p", parameters={"rows": "12"},
                        secrets=_secrets(), cwd=REPO)

    assert [r.task for r in runs] == [
        "headrace-run", "make-text", "beam-count", "fit", "word-count-x7k2p.onExit"]
    runs = runs[:-1]  # the exit handler: nothing to mark
    assert all(len(r.attempts) == 1 for r in runs)
    assert "graph of 3 nodes recorded" in runs[0].attempts[0].stdout
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", "word-count-x7k2p",
         "--metadata", mysql_url, "--json"],
        capture_output=True, text=True, cwd=REPO, check=True)
    run = json.loads(shown.stdout)
    summaries = {e["node_id"]: e["summary_uri"] for e in run["executions"]}
    for r in runs[1:]:  # each node's step wrote the KFP UI metadata its artifact declares:
        markdown, web_app = r.ui_metadata["outputs"]
        assert markdown["type"] == "markdown" and f"## {r.node}" in markdown["source"]
        # ... and the node's HTML summary, the same page the launcher wrote beside its outputs
        assert web_app["type"] == "web-app" and web_app["storage"] == "inline"
        with open(summaries[r.node], encoding="utf-8") as f:
            assert web_app["source"] == f.read()
        assert f"<h1>{r.node}</h1>" in web_app["source"]
    assert run["pipeline"] == "word_count"
    states = {e["node_id"]: e["state"] for e in run["executions"]}
    assert states == {"make_text": "COMPLETE", "beam_count": "COMPLETE", "fit": "COMPLETE"}
    (count,) = [e for e in run["executions"] if e["node_id"] == "beam_count"]
    (statistics,) = count["outputs"]["statistics"]
    # 12 rows (the runtime parameter reached the step) of 3 words, counted through the job
    # service by SDK workers from the sidecar pool.
    assert statistics["properties"] == {"words": 36, "runner": "PortableRunner"}


def test_a_failing_step_names_its_task_and_why_and_is_not_retried(tmp_path, mysql_url):
    text = compile_pipeline(word_count(), _options(tmp_path, mysql_url, BeamOptions()))
    with pytest.raises(TaskFailed) as caught:
        run_workflow(text, workflow_name="word-count-fails", parameters={"fail": "true"},
                     secrets=_secrets(), cwd=REPO)
    failed = caught.value
    assert failed.task == "fit" and failed.exit_code == 10
    assert len(failed.run.attempts) == 1  # a user error: a retry cannot help
    assert "asked to fail by the runtime parameter 'fail'" in str(failed)


def test_an_unreachable_store_is_retried_as_infrastructure_trouble(
    tmp_path, mysql_url, monkeypatch
):
    monkeypatch.setenv("HEADRACE_METADATA_RETRY_SECONDS", "1")  # each attempt gives up soon
    # A loopback port nothing listens on: the server is away, which a retry can fix (a server
    # that refuses the login or the database is configuration: exit 10, not retried).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    user, rest = mysql_url.split("@", 1)
    unreachable = f"{user}@127.0.0.1:{port}/{rest.split('/', 1)[1]}"
    options = _options(tmp_path, unreachable, BeamOptions()).override(retry_limit=1)
    with pytest.raises(TaskFailed, match=r"exit code 20 after 2 attempt\(s\) \(retryable") as e:
        run_workflow(compile_pipeline(word_count(), options), secrets=_secrets(), cwd=REPO)
    # The run step and the source node start together (neither waits for the other): whichever
    # fails first for good ends the run.
    assert e.value.task in ("headrace-run", "make-text")
