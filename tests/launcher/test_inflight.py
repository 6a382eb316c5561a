"""Two runs reaching one cache key at once, as real processes: the later one waits for the
earlier one's execution and reuses it, or runs itself when that one dies or takes too long."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headrace.metadata import open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


def _run(root, url, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "headrace", "run", DEMO, "--root", root, "--metadata", url],
        env={**os.environ, "HEADRACE_HEARTBEAT_SECONDS": "0.5", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_produce(root, proc, count=1):
    deadline = time.time() + 90
    while len(glob.glob(f"{root}/demo/produce/examples/*/data.txt")) < count:
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.05)


def _wait_for_second_execution(url, proc):
    store = open_store(url)
    deadline = time.time() + 90
    while len(store.find_running("demo", "produce", _produce_key(store))) < 2:
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.1)


def _produce_key(store):
    [run] = store.list_runs("demo")[-1:]
    return store.get_run(run.run_id).executions[0].cache_key


def _executions(url):
    store = open_store(url)
    runs = sorted(store.list_runs("demo"), key=lambda r: r.created_ms)
    return store, [store.get_run(r.run_id).executions for r in runs]


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_the_second_run_waits_and_reuses_instead_of_computing_again(tmp_path, backend, request):
    url = request.getfixturevalue(f"{backend}_url")
    root = str(tmp_path / "root")
    hold = tmp_path / "hold"
    hold.touch()
    first = _run(root, url, HEADRACE_DEMO_HOLD=str(hold))
    _wait_for_produce(root, first)  # the first run's `produce` is half way, held there
    second = _run(root, url)
    _wait_for_second_execution(url, second)  # it is recorded, and so waiting
    hold.unlink()
    out_second = second.communicate(timeout=180)[0]
    out_first = first.communicate(timeout=180)[0]
    assert first.returncode == 0, out_first
    assert second.returncode == 0, out_second
    _, (a, b) = _executions(url)
    assert {e.node_id: e.state for e in a}["produce"] == "COMPLETE"
    produce_b = next(e for e in b if e.node_id == "produce")
    produce_a = next(e for e in a if e.node_id == "produce")
    assert produce_b.state == "CACHED" and produce_b.cached_from == produce_a.id
    assert "waited" in produce_b.cache_reason
    # The work was done once: one COMPLETE execution per node over both runs, and nothing
    # left RUNNING; the second run's nodes point at the first run's outputs.
    complete = [e.node_id for e in a + b if e.state == "COMPLETE"]
    assert sorted(complete) == ["count_a", "count_b", "produce", "train"]
    assert [e for e in a + b if e.state not in ("COMPLETE", "CACHED")] == []
    assert produce_b.outputs["examples"][0].id == produce_a.outputs["examples"][0].id
    assert len(glob.glob(f"{root}/demo/produce/examples/*")) == 1


def test_the_second_run_executes_itself_when_the_first_dies(tmp_path, sqlite_url):
    root = str(tmp_path / "root")
    hold = tmp_path / "hold"
    hold.touch()
    first = _run(root, sqlite_url, HEADRACE_DEMO_HOLD=str(hold))
    _wait_for_produce(root, first)
    second = _run(root, sqlite_url)
    time.sleep(4)  # the second is waiting now
    assert second.poll() is None
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    started = time.monotonic()
    out = second.communicate(timeout=120)[0]
    assert second.returncode == 0, out
    # The dead run's execution goes stale after 3 missed beats + 5 s: about 6.5 s here.
    assert time.monotonic() - started < 30
    _, (a, b) = _executions(sqlite_url)
    assert [(e.node_id, e.state) for e in a] == [("produce", "RUNNING")]  # its resume cancels it
    assert {e.node_id: e.state for e in b} == dict.fromkeys(
        ["produce", "count_a", "count_b", "train"], "COMPLETE"
    )


def test_waiting_is_bounded(tmp_path, sqlite_url):
    root = str(tmp_path / "root")
    hold = tmp_path / "hold"
    hold.touch()
    first = _run(root, sqlite_url, HEADRACE_DEMO_HOLD=str(hold))
    _wait_for_produce(root, first)
    second = _run(root, sqlite_url, HEADRACE_INFLIGHT_WAIT_SECONDS="1")
    out = second.communicate(timeout=120)[0]
    assert second.returncode == 0, out
    assert first.poll() is None  # still at work: the second did not wait for it to end
    first.kill()
    first.wait(10)
    _, (_, b) = _executions(sqlite_url)
    assert {e.node_id: e.state for e in b}["produce"] == "COMPLETE"
