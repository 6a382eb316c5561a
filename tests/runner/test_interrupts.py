"""Ctrl-C and stopped parents, as a user meets them: `headrace run` in a real process."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from headrace.metadata import default_url, open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


def _start(root, *flags, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "headrace", "run", DEMO, "--root", root, *flags],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A shell's background job may ignore SIGINT; a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(pattern, proc, timeout=90):
    deadline = time.time() + timeout
    while not glob.glob(pattern):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.05)


def _states(root):
    store = open_store(default_url(root))
    [run] = store.list_runs("demo")
    return run.run_id, {e.node_id: e.state for e in store.get_run(run.run_id).executions}


def test_one_ctrl_c_waits_for_the_node_in_flight_and_ends_with_the_resume_command(tmp_path):
    root, hold = str(tmp_path / "root"), tmp_path / "hold"
    hold.touch()
    proc = _start(root, HEADRACE_DEMO_HOLD=str(hold))
    _wait_for(f"{root}/demo/produce/examples/*/data.txt", proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.5)
    assert proc.poll() is None  # still waiting for `produce`
    hold.unlink()
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 130, out
    assert "Interrupted: starting nothing new; waiting for produce to finish" in out
    assert "Press Ctrl-C again to stop now" in out
    run_id, states = _states(root)
    assert states == {"produce": "COMPLETE"}  # finished and recorded; nothing new started
    assert "count_a, count_b, train did not run" in out
    assert f"headrace run {DEMO} --resume {run_id} --root {root}" in " ".join(out.split())
    assert "Traceback" not in out


def test_a_second_ctrl_c_stops_now_and_records_the_node_canceled(tmp_path):
    root, hold = str(tmp_path / "root"), tmp_path / "hold"
    hold.touch()
    proc = _start(root, HEADRACE_DEMO_HOLD=str(hold))
    _wait_for(f"{root}/demo/produce/examples/*/data.txt", proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130, out
    assert "Stopped at a second Ctrl-C" in out and "--resume" in out
    _, states = _states(root)
    assert states == {"produce": "CANCELED"}
    assert glob.glob(f"{root}/demo/produce/examples/*") == []  # the partial output is gone


def test_isolated_nodes_die_with_a_parent_killed_alone_and_record_it(tmp_path):
    root, hold = str(tmp_path / "root"), tmp_path / "hold"
    hold.touch()
    proc = _start(root, "--isolate", HEADRACE_DEMO_HOLD=str(hold))
    _wait_for(f"{root}/demo/produce/examples/*/data.txt", proc)
    proc.kill()  # SIGKILL to the runner alone: its node process is not in its process group
    proc.wait(10)
    deadline = time.time() + 30
    while time.time() < deadline and _states(root)[1] != {"produce": "CANCELED"}:
        time.sleep(0.2)
    _, states = _states(root)
    assert states == {"produce": "CANCELED"}  # not FAILED, not left RUNNING
    assert glob.glob(f"{root}/demo/produce/examples/*") == []
    store = open_store(default_url(root))
    [e] = store.get_run(_states(root)[0]).executions
    assert "SIGTERM" in e.error


def test_a_resumed_isolated_run_reports_reused_nodes_as_reused(tmp_path):
    root, flag = str(tmp_path / "root"), tmp_path / "fail"
    flag.touch()
    first = _start(root, "--isolate", HEADRACE_DEMO_FAIL=str(flag))
    assert first.communicate(timeout=180)[0] and first.returncode == 1
    flag.unlink()
    run_id, _ = _states(root)
    resumed = _start(root, "--isolate", "--resume", run_id)
    out = resumed.communicate(timeout=180)[0]
    assert resumed.returncode == 0, out
    for node in ("produce", "count_a", "count_b"):
        assert f"{node} already complete in this run" in out
    assert "4 of 4 nodes done (1 executed, 0 cached, 3 done before)" in out
