"""The exit handler's marking (headrace.launcher.unfinished) on a real SQLite MLMD: RUNNING
executions become FAILED when Argo lists their step, CANCELED otherwise; finished ones stay."""

from __future__ import annotations

import json

from headrace.launcher.unfinished import MARK, mark_unfinished
from headrace.metadata import NodeExecution, open_store
from tests.compiler.pipelines import word_count


def _start(store, ir, run_id: str, node_id: str) -> int:
    node = ir.node(node_id)
    who = NodeExecution(pipeline=ir.name, run_id=run_id, node_id=node.id, component=node.component)
    return store.start_execution(who, {})


def test_running_executions_are_marked_with_argos_reason(tmp_path):
    ir = word_count()
    store = open_store(f"sqlite://{tmp_path}/m.sqlite")
    killed = _start(store, ir, "wc-1", "beam_count")
    still_running = _start(store, ir, "wc-1", "fit")
    done = _start(store, ir, "wc-1", "make_text")
    store.finish(done, "FAILED", "its own error")
    partial = tmp_path / "root" / ir.name / "beam_count" / "statistics" / str(killed)
    partial.mkdir(parents=True)
    failures = json.dumps(
        [
            {
                "displayName": "beam-count",
                "message": "OOMKilled (exit code 137)",
                "templateName": "beam-count",
                "phase": "Failed",
            }
        ]
    )

    lines: list[str] = []
    marked = mark_unfinished(
        store,
        ir.name,
        "wc-1",
        root=str(tmp_path / "root"),
        status="Failed",
        failures=failures,
        log=lines.append,
    )

    assert {(m.node_id, m.state) for m in marked} == {("beam_count", "FAILED"), ("fit", "CANCELED")}
    by_id = {e.id: e for e in store.run_executions(ir.name, "wc-1")}
    assert by_id[killed].state == "FAILED"
    assert by_id[killed].error == (
        f"{MARK} Failed: step beam-count failed: OOMKilled (exit code 137)"
    )
    assert by_id[still_running].state == "CANCELED"
    assert by_id[still_running].error.startswith(f"{MARK} Failed while this step ran")
    assert by_id[done].error == "its own error"  # not RUNNING: left alone
    assert not partial.exists()  # unpublished outputs removed
    assert len(lines) == 2
    # Run again (Argo retries the handler): nothing left to mark.
    assert (
        mark_unfinished(
            store,
            ir.name,
            "wc-1",
            root=str(tmp_path / "root"),
            status="Failed",
            failures="null",
            log=lines.append,
        )
        == []
    )
