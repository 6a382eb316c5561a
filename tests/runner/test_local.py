"""The local runner on real stores: caching, parallel branches, failure and resume, isolation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError
from headrace.ir import build
from headrace.launcher import CACHED, DONE_BEFORE, EXECUTED
from headrace.metadata import open_store
from headrace.runner import LocalRunner

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


@pytest.fixture
def demo():
    return import_file(DEMO)


def _run(url, root, ir, **kwargs):
    runner_kwargs = {k: kwargs.pop(k) for k in ("parallelism", "isolate") if k in kwargs}
    runner = LocalRunner(store=open_store(url), metadata_url=url, **runner_kwargs)
    return runner.run(ir, root=str(root), **kwargs)


def _outcomes(summary):
    return {n: r.outcome for n, r in summary.results.items()}


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_cache_and_selective_rerun(backend, request, tmp_path, demo):
    url = request.getfixturevalue(f"{backend}_url")
    first = _run(url, tmp_path, build(demo.make_pipeline()))
    assert first.ok and set(_outcomes(first).values()) == {EXECUTED}
    model = first.results["train"].outputs["model"][0]
    assert json.loads(Path(model.uri, "model.json").read_text()) == {"rows": 100, "lr": 0.1}

    again = _run(url, tmp_path, build(demo.make_pipeline()))
    assert set(_outcomes(again).values()) == {CACHED}
    assert again.results["train"].outputs["model"][0].id == model.id
    assert "same cache key" in again.results["train"].cache_reason

    # Changing one node's parameter re-runs that node and nothing upstream of it.
    changed = _run(url, tmp_path, build(demo.make_pipeline(learning_rate=0.5)))
    assert _outcomes(changed) == {
        "produce": CACHED,
        "count_a": CACHED,
        "count_b": CACHED,
        "train": EXECUTED,
    }
    # Changing the first node re-runs everything downstream of it.
    rows = _run(url, tmp_path, build(demo.make_pipeline(rows=7)))
    assert set(_outcomes(rows).values()) == {EXECUTED}
    assert rows.results["count_a"].outputs["statistics"][0].properties["rows"] == 7


def test_deleted_output_is_not_reused(sqlite_url, tmp_path, demo):
    first = _run(sqlite_url, tmp_path, build(demo.make_pipeline()))
    uri = first.results["count_a"].outputs["statistics"][0].uri
    os.rmdir(uri)
    again = _run(sqlite_url, tmp_path, build(demo.make_pipeline()))
    assert again.results["count_a"].outcome == EXECUTED
    assert "is gone" in again.results["count_a"].cache_reason
    assert again.results["count_b"].outcome == CACHED


def test_independent_branches_run_in_parallel(sqlite_url, tmp_path, demo):
    summary = _run(sqlite_url, tmp_path, build(demo.make_pipeline(delay=0.5)), parallelism=2)
    a, b = (
        summary.results[n].outputs["statistics"][0].properties["interval"]
        for n in ("count_a", "count_b")
    )
    assert a[0] < b[1] and b[0] < a[1], f"count_a {a} and count_b {b} did not overlap"

    serial = _run(
        sqlite_url, tmp_path / "serial", build(demo.make_pipeline(delay=0.51)), parallelism=1
    )
    a, b = (
        serial.results[n].outputs["statistics"][0].properties["interval"]
        for n in ("count_a", "count_b")
    )
    assert a[1] <= b[0] or b[1] <= a[0]


def test_failure_stops_the_run_and_resume_reruns_only_what_did_not_complete(
    sqlite_url, tmp_path, demo, monkeypatch
):
    flag = tmp_path / "fail"
    flag.touch()
    monkeypatch.setenv("HEADRACE_DEMO_FAIL", str(flag))
    ir = build(demo.make_pipeline())
    failed = _run(sqlite_url, tmp_path, ir)
    assert not failed.ok and set(failed.failed) == {"train"}
    assert "failing on purpose" in str(failed.failed["train"])
    assert "demo_pipeline.py" in failed.failed["train"].user_traceback
    store = open_store(sqlite_url)
    [train] = store.run_executions("demo", failed.run_id, "train")
    assert train.state == "FAILED" and train.outputs == {}
    assert not os.path.exists(os.path.join(tmp_path, "demo", "train", "model", str(train.id)))

    flag.unlink()
    resumed = _run(sqlite_url, tmp_path, ir, run_id=failed.run_id)
    assert resumed.ok and resumed.run_id == failed.run_id
    assert _outcomes(resumed) == {
        "produce": DONE_BEFORE,
        "count_a": DONE_BEFORE,
        "count_b": DONE_BEFORE,
        "train": EXECUTED,
    }


def test_a_failed_upstream_leaves_downstream_not_run(sqlite_url, tmp_path, demo):
    bad = demo.make_pipeline()
    bad.nodes[1].arguments["delay"] = -1.0  # time.sleep(-1) raises ValueError in count_a
    summary = _run(sqlite_url, tmp_path, build(bad), parallelism=1)
    assert "count_a" in summary.failed and "train" in summary.not_run
    assert "sleep length must be non-negative" in str(summary.failed["count_a"])


def test_isolated_nodes_run_through_the_entrypoint(sqlite_url, tmp_path, demo):
    summary = _run(sqlite_url, tmp_path, build(demo.make_pipeline(rows=5)), isolate=True)
    assert summary.ok, summary.failed
    assert set(_outcomes(summary).values()) == {EXECUTED}
    model = summary.results["train"].outputs["model"][0]
    assert json.loads(Path(model.uri, "model.json").read_text())["rows"] == 5
    assert summary.results["train"].cache_reason.startswith("no earlier execution with cache key")
    # Same store, same keys: an in-process run is now all cache hits (local/cluster parity).
    assert set(
        _outcomes(_run(sqlite_url, tmp_path, build(demo.make_pipeline(rows=5)))).values()
    ) == {CACHED}
    again = _run(sqlite_url, tmp_path, build(demo.make_pipeline(rows=5)), isolate=True)
    reason = again.results["train"].cache_reason  # as MLMD recorded it, not the process's output
    assert reason.startswith("same cache key") and "headrace:" not in reason


def test_bad_runtime_values_stop_the_run_before_anything_is_recorded(sqlite_url, tmp_path, demo):
    ir = build(demo.create_pipeline())
    with pytest.raises(DefinitionError, match=r"Unknown runtime parameters \['nosuch'\]"):
        _run(sqlite_url, tmp_path, ir, runtime_values={"nosuch": 1})
    assert open_store(sqlite_url).list_runs(ir.name) == []
