"""The publisher half of a container node split across cluster steps: launch() in the driver step
started the execution and handed the resolved command to the user's container step; this records
what that container wrote, in the step after it (or reports the driver's cache hit as is)."""

from __future__ import annotations

import contextlib
import os
import time

from headrace.errors import ExecutionError
from headrace.ir import PipelineIR
from headrace.launcher import container
from headrace.launcher.launch import (
    CACHED,
    DONE_BEFORE,
    EXECUTED,
    LaunchResult,
    output_uri,
    remove_outputs,
)
from headrace.launcher.publisher import publish
from headrace.launcher.summary import write_summary
from headrace.metadata import DONE_STATES, FAILED, RUNNING, Store
from headrace.types.artifact import artifact_class


def publish_container(
    ir: PipelineIR, node_id: str, *, run_id: str, store: Store, root: str
) -> LaunchResult:
    """Publish the RUNNING execution the driver step started for `node_id` in this run.

    Idempotent, as a retried step must be: an execution already done (a cache hit, or published
    by an earlier attempt) is returned as is.
    """
    started = time.monotonic()
    node = ir.node(node_id)
    earlier = store.run_executions(ir.name, run_id, node_id)
    done = [e for e in earlier if e.state in DONE_STATES]
    if done:
        record = done[-1]
        return LaunchResult(
            node_id=node_id,
            execution_id=record.id,
            outcome=CACHED if record.cached_from is not None else DONE_BEFORE,
            cache_reason=record.cache_reason,
            seconds=time.monotonic() - started,
            inputs=record.inputs,
            outputs=record.outputs,
            summary_uri=record.summary_uri,
        )
    running = [e for e in earlier if e.state == RUNNING]
    if not running:
        # `argo retry` after the exit handler marked the node: its driver step is not re-run,
        # the container step re-wrote the same outputs, so the marked execution is published.
        from headrace.launcher.unfinished import MARK

        running = [e for e in earlier if e.error.startswith(MARK)][-1:]
    if not running:
        raise ExecutionError(
            f"Node {node_id!r}: no execution of run {run_id!r} to publish; its driver step "
            f"starts one. Run the driver step first (the workflow's DAG does)."
        )
    record = running[-1]
    outputs = {
        o.name: [artifact_class(o.type_name)(output_uri(root, ir.name, node_id, o.name, record.id))]
        for o in node.outputs
    }
    properties = container.properties_path(root, ir.name, node_id, record.id)
    try:
        container.read_output_properties(node, properties, outputs)
        page = write_summary(
            root=root,
            pipeline=ir.name,
            run_id=run_id,
            node_id=node_id,
            component=node.component,
            execution_id=record.id,
            outcome=EXECUTED,
            reason=record.cache_reason,
            seconds=(time.time() * 1000 - record.started_ms) / 1000,
            inputs=record.inputs,
            outputs=outputs,
        )
        published = publish(store, node, record.id, outputs, summary_uri=page)
    except Exception as exc:
        with contextlib.suppress(Exception):  # keep the original error if the store failed
            store.finish(record.id, FAILED, str(exc))
        remove_outputs(root, ir.name, node, record.id)
        raise
    with contextlib.suppress(OSError):
        os.remove(properties)
    return LaunchResult(
        node_id=node_id,
        execution_id=record.id,
        outcome=EXECUTED,
        cache_reason=record.cache_reason,
        seconds=time.monotonic() - started,
        inputs=record.inputs,
        outputs=published,
        summary_uri=page,
    )
