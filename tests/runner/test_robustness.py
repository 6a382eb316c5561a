"""Whole runs as a user starts them (`headrace run` in a process): killed mid-node and resumed,
and several at once against one MySQL-backed store."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from headrace.metadata import open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


def _headrace(*args, env=None, **kwargs):
    command = [sys.executable, "-m", "headrace", *args]
    return subprocess.Popen(command, env={**os.environ, **(env or {})}, **kwargs)


def _done_by_node(store, run_id):
    run = store.get_run(run_id)
    done = {}
    for e in run.executions:
        if e.state in ("COMPLETE", "CACHED"):
            assert e.node_id not in done, f"{e.node_id} completed twice in {run_id}"
            done[e.node_id] = e
    return run, done


def test_sigkill_in_the_middle_of_a_node_then_resume(tmp_path, sqlite_url):
    root = str(tmp_path / "root")
    proc = _headrace(
        "run",
        DEMO,
        "--root",
        root,
        "--metadata",
        sqlite_url,
        env={"HEADRACE_DEMO_SLEEP": "60"},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while not glob.glob(f"{root}/demo/produce/examples/*/data.txt") and time.time() < deadline:
        time.sleep(0.05)
    [partial] = glob.glob(f"{root}/demo/produce/examples/*/data.txt")
    time.sleep(0.2)  # it is now sleeping half way through its rows
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    store = open_store(sqlite_url)
    [run] = store.list_runs("demo")
    [killed] = store.get_run(run.run_id).executions
    assert killed.state == "RUNNING" and killed.outputs == {}  # nothing published
    assert store.find_cached("demo", "produce", killed.cache_key) == []

    resumed = _headrace(
        "run",
        DEMO,
        "--root",
        root,
        "--metadata",
        sqlite_url,
        "--resume",
        run.run_id,
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, out
    assert run.run_id in out

    record, done = _done_by_node(store, run.run_id)
    assert set(done) == {"produce", "count_a", "count_b", "train"}
    states = [(e.node_id, e.state) for e in record.executions]
    assert states.count(("produce", "CANCELED")) == 1
    assert not os.path.exists(os.path.dirname(partial))  # the partial output is gone
    [examples] = done["produce"].outputs["examples"]
    assert Path(examples.uri, "data.txt").read_text().count("\n") == 100
    # Every published artifact of the run is whole: one Examples, and the model read 100 rows.
    model = done["train"].outputs["model"][0]
    assert json.loads(Path(model.uri, "model.json").read_text())["rows"] == 100


def test_four_runs_at_once_against_one_mysql_store(tmp_path, mysql_url):
    root = str(tmp_path / "root")
    procs = {
        rows: _headrace(
            "run",
            DEMO,
            "--root",
            root,
            "--metadata",
            mysql_url,
            env={"HEADRACE_DEMO_ROWS": str(rows)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rows in (10, 20, 30, 40)
    }
    outputs = {rows: p.communicate(timeout=300)[0] for rows, p in procs.items()}
    for rows, p in procs.items():
        assert p.returncode == 0, outputs[rows]
    store = open_store(mysql_url)
    runs = store.list_runs("demo")
    assert len(runs) == 4
    seen_rows = set()
    for r in runs:
        record, done = _done_by_node(store, r.run_id)
        assert set(done) == {"produce", "count_a", "count_b", "train"}
        assert all(e.run_id == r.run_id for e in record.executions)
        produced = done["produce"].outputs["examples"][0]
        # Downstream nodes read exactly this run's upstream artifact: nothing mixed up.
        assert done["count_a"].inputs["examples"][0].id == produced.id
        assert done["train"].inputs["examples"][0].id == produced.id
        model = done["train"].outputs["model"][0]
        rows = json.loads(Path(model.uri, "model.json").read_text())["rows"]
        assert rows == produced.properties["rows"]
        seen_rows.add(rows)
    assert seen_rows == {10, 20, 30, 40}
