"""Class-based components run like function components: in this process and in their own process
through the entrypoint (loaded from the pipeline file by reference), cached by code and
parameters, with the user-code boundary around `run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.errors import UserCodeError
from headrace.ir import build
from headrace.launcher import CACHED, EXECUTED, launch
from headrace.metadata import open_store
from headrace.runner import LocalRunner

PIPELINE = str(Path(__file__).parents[1] / "support" / "custom_components.py")


@pytest.fixture
def custom():
    return import_file(PIPELINE)


def _run(url, root, ir, isolate=False):
    runner = LocalRunner(store=open_store(url), metadata_url=url, isolate=isolate)
    summary = runner.run(ir, root=str(root))
    assert summary.ok, summary.failed
    return summary


def test_run_gets_ports_parameters_context_and_helpers(sqlite_url, tmp_path, custom):
    summary = _run(
        sqlite_url, tmp_path, build(custom.create_pipeline(rows=4, scale=10, containers=False))
    )
    result = summary.results["CountWords"]
    assert result.outcome == EXECUTED
    [statistics] = result.outputs["statistics"]
    assert statistics.properties == {"words": 4 * 3 * 10}
    written = json.loads(Path(statistics.uri, "count.json").read_text())
    assert written == {"words": 120, "run_id": summary.run_id}


def test_isolated_run_loads_the_class_from_its_file_and_shares_the_cache(
    sqlite_url, tmp_path, custom
):
    isolated = _run(
        sqlite_url, tmp_path, build(custom.create_pipeline(rows=2, containers=False)), isolate=True
    )
    assert {r.outcome for r in isolated.results.values()} == {EXECUTED}
    [statistics] = isolated.results["CountWords"].outputs["statistics"]
    assert statistics.properties == {"words": 6}
    again = _run(sqlite_url, tmp_path, build(custom.create_pipeline(rows=2, containers=False)))
    assert {r.outcome for r in again.results.values()} == {CACHED}
    changed = _run(
        sqlite_url, tmp_path, build(custom.create_pipeline(rows=2, scale=2, containers=False))
    )
    assert changed.results["CountWords"].outcome == EXECUTED
    assert changed.results["write_words"].outcome == CACHED


def test_an_exception_in_run_is_user_code_with_its_traceback(sqlite_url, tmp_path, custom):
    ir = build(custom.create_pipeline(fail=True, containers=False))
    store = open_store(sqlite_url)
    launch(ir, "write_words", run_id="r", store=store, root=str(tmp_path))
    with pytest.raises(
        UserCodeError,
        match=r"'CountWords'.*RuntimeError: asked to fail in "
        r"CountWords.*custom_components.py:\d+, in run",
    ):
        launch(ir, "CountWords", run_id="r", store=store, root=str(tmp_path))
    [failed] = store.run_executions(ir.name, "r", "CountWords")
    assert failed.state == "FAILED" and failed.outputs == {}
