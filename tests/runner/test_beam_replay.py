"""The compiled penguin workflow with `--beam-runner flink` and `spark`, replayed step by step
(headrace.replay: every step a process, MLMD on MariaDB, the worker-pool sidecar the
YAML declares started next to each Beam step), its Beam steps sent to a real job server that
`headrace beam serve`'s code started.

It replays with headrace.replay (`headrace replay`) in process mode.
Opt-in (HEADRACE_BEAM_REPLAY=1): a replay takes 10-20 minutes per engine on a 2-core machine,
past CI's budget; tests/runner/test_beam_engines.py covers the same jobs in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from headrace.compiler import BeamOptions, CompileOptions, SecretRef, compile_pipeline
from headrace.ir import build

REPO = Path(__file__).resolve().parents[2]
SECRET = SecretRef(name="mlmd-mysql", key="password")
BEAM_STEPS = ("CsvExampleGen", "StatisticsGen", "Transform", "Evaluator")

pytestmark = [
    pytest.mark.mysql,
    pytest.mark.skipif(os.environ.get("HEADRACE_BEAM_REPLAY") != "1",
                       reason="opt-in (HEADRACE_BEAM_REPLAY=1): 10-20 min per engine"),
    pytest.mark.skipif(not (shutil.which("java") and shutil.which("mvn")),
                       reason="needs Java 17 and Maven"),
]


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_the_compiled_penguin_workflow_replays_its_beam_steps_on_the_engine(
        engine, tmp_path, mysql_url):
    from examples.penguin.pipeline import create_pipeline
    from headrace.replay import run_workflow
    from headrace.runner.beam import JobServer
    from headrace.runner.beam.processes import free_port

    root = tmp_path / "pipelines"
    root.mkdir()
    with JobServer.start(engine, workers=2, log=lambda _: None) as server:
        # worker pool "step": the YAML's sidecar serves the SDK workers next to each Beam step,
        # which is where this machine's job server can reach them (localhost).
        beam = BeamOptions(runner=engine, job_endpoint=server.endpoint, worker_pool="step",
                           worker_pool_port=free_port(), nodes=BEAM_STEPS)
        options = CompileOptions(
            image="headrace:test", pipeline_root=str(root), root_volume_claim="headrace-pipelines",
            metadata=mysql_url, mysql_password_secret=SECRET, beam=beam,
            ui_metadata_path=str(tmp_path / "ui" / "mlpipeline-ui-metadata.json"))
        text = compile_pipeline(build(create_pipeline(str(root))), options)
        name = f"penguin-{engine}-replay"
        steps = run_workflow(text, workflow_name=name, cwd=REPO, max_seconds=1800, secrets={
            SECRET.name: {SECRET.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}})
    assert all(s.attempts[-1].exit_code == 0 for s in steps)
    jobs = re.findall(rf"Beam job \S+ on the job server at {server.endpoint}: (\w+)",
                      "".join(s.attempts[-1].stdout for s in steps))
    assert len(jobs) >= len(BEAM_STEPS) and set(jobs) == {"DONE"}, jobs
    shown = subprocess.run([sys.executable, "-m", "headrace", "runs", "show", name,
                            "--metadata", mysql_url, "--json"],
                           capture_output=True, text=True, cwd=REPO, check=True)
    executions = {e["node_id"]: e for e in json.loads(shown.stdout)["executions"]}
    assert "FAILED" not in {e["state"] for e in executions.values()}
    assert {executions[n]["state"] for n in BEAM_STEPS} == {"COMPLETE"}
    [examples] = executions["CsvExampleGen"]["outputs"]["examples"]
    assert json.loads(examples["properties"]["rows_per_split"]) == {"train": 229, "eval": 105}
    [blessing] = executions["Evaluator"]["outputs"]["blessing"]
    assert blessing["properties"]["blessed"] in (1, True, "1")
