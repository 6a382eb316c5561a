"""launch(): THE way a node executes — driver, executor, publisher over ML Metadata.

Idempotent per (run, node): a node that already completed in this run is returned as is, and an
execution left RUNNING by a killed process is marked CANCELED and its partial outputs removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from headrace.dsl.component import Component
from headrace.dsl.context import ExecutionContext
from headrace.ir import PipelineIR, merge_beam_args
from headrace.launcher import container, driver, inflight, interrupts, resolver
from headrace.launcher.attempts import StepAttempt, exit_words
from headrace.launcher.executor import STORAGE_ERRNOS, load_component, run_executor, storage_error
from headrace.launcher.publisher import publish
from headrace.launcher.summary import remove_summary, write_summary
from headrace.metadata import CANCELED, DONE_STATES, FAILED, RUNNING, NodeExecution, Store
from headrace.types.artifact import Artifact, artifact_class

Artifacts = dict[str, list[Artifact]]

# What a launch ended as: executed now, served from cache, found done earlier in this run, or
# (a resolver) filled from ML Metadata.
EXECUTED, CACHED, DONE_BEFORE, RESOLVED = "executed", "cached", "done-before", "resolved"
# A container node whose command a later step runs (the driver step of a cluster): its
# execution stays RUNNING until that step's publisher (container_publish.py) records it.
STARTED = "started"


@dataclass(frozen=True, kw_only=True)
class LaunchResult:
    node_id: str
    execution_id: int
    outcome: str  # EXECUTED | CACHED | DONE_BEFORE
    cache_reason: str
    seconds: float
    inputs: dict[str, list[Artifact]] = field(default_factory=dict)
    outputs: dict[str, list[Artifact]] = field(default_factory=dict)
    summary_uri: str = ""  # the HTML summary page ("" if it could not be written)


def output_uri(root: str, pipeline: str, node_id: str, output: str, execution_id: int) -> str:
    return os.path.join(root, pipeline, node_id, output, str(execution_id))


def launch(
    ir: PipelineIR,
    node_id: str,
    *,
    run_id: str,
    store: Store,
    root: str,
    runtime_values: Mapping[str, Any] | None = None,
    log: Callable[[str], None] = lambda _: None,
    component: Component | None = None,
    upstream: Mapping[str, Artifacts] | None = None,
    container_runner: container.ContainerRunner | None = None,
    attempt: StepAttempt | None = None,
) -> LaunchResult:
    """Execute (or serve from cache) node `node_id` of `ir` as part of run `run_id`.

    By default the node's code is loaded from its executor reference and its inputs are the
    outputs of its upstream nodes in this run. The interactive context passes the `component`
    object it holds (a function defined in a notebook cannot be imported by reference) and the
    `upstream` outputs by node id (the results of its earlier `run` calls, which may belong to
    other runs). A container node runs through `container_runner` (default: Docker, or a
    process in development mode; see container.runner_for). A cluster step passes its
    `attempt` (retry number, memory limit, how the attempt before ended), which the execution
    records.
    """
    started = time.monotonic()
    node = ir.node(node_id)

    def result(
        outcome: str,
        execution_id: int,
        reason: str,
        inputs: Artifacts,
        outputs: Artifacts,
        summary_uri: str = "",
    ) -> LaunchResult:
        return LaunchResult(
            node_id=node_id,
            execution_id=execution_id,
            outcome=outcome,
            cache_reason=reason,
            seconds=time.monotonic() - started,
            inputs=inputs,
            outputs=outputs,
            summary_uri=summary_uri,
        )

    def summary(
        execution_id: int, outcome: str, reason: str, ins: Artifacts, outs: Artifacts
    ) -> str:
        return write_summary(
            root=root,
            pipeline=ir.name,
            run_id=run_id,
            node_id=node_id,
            component=node.component,
            execution_id=execution_id,
            outcome=outcome,
            reason=reason,
            seconds=time.monotonic() - started,
            inputs=ins,
            outputs=outs,
        )

    earlier = store.run_executions(ir.name, run_id, node_id)
    done = [e for e in earlier if e.state in DONE_STATES]
    if done:
        return result(
            DONE_BEFORE,
            done[-1].id,
            "completed earlier in this run",
            done[-1].inputs,
            done[-1].outputs,
            done[-1].summary_uri,
        )
    running = [e for e in earlier if e.state == RUNNING]
    for abandoned in running:
        # Its process is gone (killed, or a retried pod): nothing it wrote may be mistaken for
        # a result. Its outputs were never published; remove their directories too.
        remove_outputs(root, ir.name, node, abandoned.id)
        why, code = "abandoned: its process stopped before publishing", None
        if abandoned is running[-1] and attempt and attempt.last_exit_code is not None:
            # The attempt before this retry: Argo told this one how it ended.
            code = attempt.last_exit_code
            why = f"abandoned: its step {exit_words(code)}; retried"
        store.finish(abandoned.id, CANCELED, why, exit_code=code)
        log(f"{node_id}: marked abandoned execution {abandoned.id} CANCELED ({why})")

    parameters = driver.resolve_parameters(ir, node, runtime_values or {})
    if node.kind == "resolver":
        # Never cached: what "latest" means changes with every run.
        found = resolver.resolve(store, ir.name, node, parameters)
        who = NodeExecution(
            pipeline=ir.name, run_id=run_id, node_id=node_id, component=node.component
        )
        counts = ", ".join(f"{len(v)} {k}" for k, v in found.items())
        reason = f"{parameters['strategy']}: {counts}"
        execution_id = store.record_reused(who, {}, found, cached_from=None, reason=reason)
        page = summary(execution_id, RESOLVED, reason, {}, found)
        if page:
            try:
                store.set_summary_uri(execution_id, page)
            except Exception as exc:  # the summary is a courtesy: never fail the node for it
                logging.getLogger(__name__).warning(
                    "%s: summary_uri not recorded: %s", node_id, exc
                )
                page = ""
        return result(RESOLVED, execution_id, reason, {}, found, page)
    inputs = driver.resolve_inputs(store, ir, node, run_id, upstream)
    beam_args = merge_beam_args(ir.beam_args, node.beam_args)
    material = driver.cache_material(node, parameters, inputs, beam_args)
    key, parts = driver.key_of(material), driver.key_parts(material)
    decision = driver.find_reusable(store, ir, node, key, parts, inputs)
    who = NodeExecution(
        pipeline=ir.name, run_id=run_id, node_id=node_id, component=node.component, cache_key=key
    )
    if decision.hit is not None:
        hit = decision.hit
        execution_id = store.record_reused(
            who,
            inputs,
            hit.outputs,
            cached_from=hit.id,
            reason=decision.reason,
            summary_uri=hit.summary_uri,
        )
        return result(CACHED, execution_id, decision.reason, inputs, hit.outputs, hit.summary_uri)

    runner = None
    if node.kind == "container":  # chosen first: with no way to run it, nothing is recorded
        runner = container_runner or container.runner_for(node)
    else:
        component = component or load_component(node.executor)
    execution_id = store.start_execution(
        who, inputs, reason=decision.reason, parts=parts,
        attempt=attempt.properties() if attempt else None,
    )
    beat = inflight.Heartbeat(store, execution_id).start()
    if ir.enable_cache:
        try:
            waited = inflight.wait_for_earlier(store, ir, node, key, execution_id, log=log)
        except BaseException as exc:  # interrupted while waiting: nothing was computed
            beat.stop()
            with contextlib.suppress(Exception):
                store.finish(execution_id, CANCELED, f"stopped while waiting: {exc!r}")
            raise
        if waited is not None and waited.hit is not None:
            beat.stop()
            hit = waited.hit
            store.mark_reused(execution_id, hit.outputs, hit.id, waited.reason, hit.summary_uri)
            return result(CACHED, execution_id, waited.reason, inputs, hit.outputs, hit.summary_uri)
    outputs = {
        o.name: [
            artifact_class(o.type_name)(output_uri(root, ir.name, node_id, o.name, execution_id))
        ]
        for o in node.outputs
    }
    temp_dir = tempfile.mkdtemp(prefix=f"headrace-{node_id}-")
    try:
        for artifacts in outputs.values():
            try:
                os.makedirs(artifacts[0].uri, exist_ok=True)
            except OSError as exc:
                if exc.errno not in STORAGE_ERRNOS:
                    raise
                raise storage_error(node, exc, outputs, context=None, root=root) from exc
        context = ExecutionContext(
            pipeline=ir.name,
            pipeline_root=root,
            run_id=run_id,
            node_id=node_id,
            execution_id=execution_id,
            beam_args=beam_args,
            temp_dir=temp_dir,
        )
        if runner is None:
            assert component is not None  # loaded above
            run_executor(node, component, inputs, outputs, parameters, context)
        elif not container.execute(
            node,
            runner,
            parameters,
            inputs,
            outputs,
            root=root,
            properties_file=container.properties_path(root, ir.name, node_id, execution_id),
        ):
            beat.stop()  # a later step runs the command and publishes
            return result(STARTED, execution_id, decision.reason, inputs, outputs)
        page = summary(execution_id, EXECUTED, decision.reason, inputs, outputs)
        beat.stop()  # before publishing: a beat must never rewrite what the publisher wrote
        published = publish(store, node, execution_id, outputs, summary_uri=page)
    except BaseException as exc:
        beat.stop()
        # Also on KeyboardInterrupt: record why, and leave nothing behind that looks like a result.
        error = f"{exc}\n{getattr(exc, 'user_traceback', '') or repr(exc)}"
        # Stopped from outside (Ctrl-C, SIGTERM): CANCELED, as a resume would mark it; the node
        # did not fail.
        state = CANCELED if interrupts.is_interrupt(exc) else FAILED
        # Outputs go first: whoever sees the execution finished must not also see its partial
        # folders (a killed process in between leaves it RUNNING, which a resume cleans up).
        remove_outputs(root, ir.name, node, execution_id)
        with contextlib.suppress(Exception):  # the store may be what failed; keep the original
            store.finish(execution_id, state, error)
        raise
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return result(EXECUTED, execution_id, decision.reason, inputs, published, page)


def remove_outputs(root: str, pipeline: str, node: Any, execution_id: int) -> None:
    for o in node.outputs:
        shutil.rmtree(output_uri(root, pipeline, node.id, o.name, execution_id), ignore_errors=True)
    with contextlib.suppress(OSError):
        remove_summary(root, pipeline, node.id, execution_id)
    with contextlib.suppress(OSError):
        os.remove(container.properties_path(root, pipeline, node.id, execution_id))
