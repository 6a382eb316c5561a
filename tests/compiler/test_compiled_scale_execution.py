"""Compiled big pipelines still execute (issue 13): the harness runs a compiled 200-node fan-out,
a 100-node chain and a split workflow (parent, parts as child workflows) on MariaDB-backed MLMD,
every step a process that gets only its own node from the YAML.

Each step is a process that imports Headrace and ML Metadata (about a second of CPU), so by
default the fan-out and the chain are sampled: the run step, the source, and a sample of the
fan-out's nodes or the chain's first steps; HEADRACE_SCALE_REPLAY_FULL=1 runs every node."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from headrace.compiler import CompileOptions, SecretRef, compile_workflow
from headrace.replay import run_workflow
from tests.compiler.pipelines import REPO
from tests.compiler.scale_pipelines import chain, fan_out

pytestmark = pytest.mark.mysql
SECRET = SecretRef(name="mlmd-mysql", key="password")
FULL = os.environ.get("HEADRACE_SCALE_REPLAY_FULL") == "1"


def _options(tmp_path, metadata: str, **changes) -> CompileOptions:
    root = tmp_path / "pipelines"  # stands in for the PVC, mounted at the same path
    root.mkdir(exist_ok=True)
    return CompileOptions(
        image="headrace:test", pipeline_root=str(root), root_volume_claim="headrace-pipelines",
        metadata=metadata, mysql_password_secret=SECRET, ui_metadata=False, **changes,
    )


def _secrets():
    return {SECRET.name: {SECRET.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}}


def _show(run_id: str, url: str) -> dict:
    """`headrace runs show --json`, and the graph the run step recorded (from the store)."""
    from headrace.metadata import open_store

    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", run_id, "--metadata", url, "--json"],
        capture_output=True, text=True, cwd=REPO, check=True)
    return {**json.loads(shown.stdout), "graph": open_store(url).get_run(run_id).graph}


def test_a_compiled_200_node_fan_out_runs(tmp_path, mysql_url):
    compiled = compile_workflow(fan_out(200), _options(tmp_path, mysql_url))
    tasks = [t["name"] for t in compiled.document["spec"]["templates"][0]["dag"]["tasks"]]
    # The DAG, the run step, the shard and text templates, the exit handler.
    assert len(tasks) == 201 and len(compiled.document["spec"]["templates"]) == 5
    sample = None if FULL else {"headrace-run", "text", *tasks[2::25], tasks[-1]}
    runs = run_workflow(compiled.yaml, workflow_name="fan-200-x7k2p", secrets=_secrets(),
                        cwd=REPO, only=sample)
    assert all(r.attempts[-1].exit_code == 0 for r in runs)
    run = _show("fan-200-x7k2p", mysql_url)
    # The run step recorded the whole graph once: nodes not run are drawn too.
    assert len(run["graph"]) == 200
    done = {e["node_id"]: e for e in run["executions"] if e["state"] == "COMPLETE"}
    assert len(done) == (200 if FULL else len(sample) - 1)
    last = done["shard-0199"]["outputs"]["out"][0]
    assert last["properties"]["rows"] == 3  # lines 3, 10, 17 of 21 (199 % 7 == 3)


def test_a_compiled_100_node_chain_runs(tmp_path, mysql_url):
    compiled = compile_workflow(chain(100), _options(tmp_path, mysql_url))
    tasks = [t["name"] for t in compiled.document["spec"]["templates"][0]["dag"]["tasks"]]
    sample = None if FULL else set(tasks[:8])  # the run step, the source, the first six steps
    runs = run_workflow(compiled.yaml, workflow_name="chain-100-x7k2p", secrets=_secrets(),
                        cwd=REPO, only=sample)
    assert [r.task for r in runs if not r.exit_handler] == (tasks if FULL else tasks[:8])
    run = _show("chain-100-x7k2p", mysql_url)
    assert len(run["graph"]) == 100
    states = {e["node_id"]: e["state"] for e in run["executions"]}
    assert len(states) == (100 if FULL else 7) and set(states.values()) == {"COMPLETE"}


def test_a_split_workflow_runs_its_parts_as_children_of_one_run(tmp_path, mysql_url):
    options = _options(tmp_path, mysql_url, nodes_per_workflow=4)
    compiled = compile_workflow(fan_out(9), options)
    assert compiled.parts == 3
    runs = run_workflow(compiled.yaml, workflow_name="fan-9-x7k2p", secrets=_secrets(),
                        cwd=REPO)
    tasks = [r.task for r in runs if not r.exit_handler]
    assert tasks[:3] == ["headrace-run", "part-1", "text"]
    assert tasks.count("part-2") == tasks.count("part-3") == 1
    run = _show("fan-9-x7k2p", mysql_url)
    # One run: every step of every child recorded into the parent's run id.
    assert {e["node_id"] for e in run["executions"] if e["state"] == "COMPLETE"} == {
        "text", *(f"shard-{i:04d}" for i in range(1, 9))}
    assert len(run["graph"]) == 9
    # Retrying the parent (a new child per part) redoes nothing: the run's executions are reused.
    again = run_workflow(compiled.yaml, workflow_name="fan-9-x7k2p", secrets=_secrets(),
                         cwd=REPO, only={"part-2"})
    outputs = [r.attempts[-1].stdout for r in again if r.argv and not r.exit_handler]
    assert outputs, again
    assert all("headrace: node" in o and " executed " not in o for o in outputs), outputs
