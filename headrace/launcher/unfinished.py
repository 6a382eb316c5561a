"""What a workflow's exit handler does: mark the run's executions still RUNNING (their step was
OOM-killed, lost with its node, over its deadline, or the workflow was stopped) FAILED or
CANCELED with the reason Argo gave, and remove their unpublished outputs, so nothing stays
RUNNING forever and a retried or resumed run starts clean."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headrace.launcher.summary import remove_summary
from headrace.metadata import CANCELED, FAILED, RUNNING, Store

# The exit handler's mark, so `headrace runs show` can tell what happened (and how to resume).
MARK = "workflow ended"
_STOPPED = re.compile(r"Stopped with strategy|[Tt]erminated")


@dataclass(frozen=True, kw_only=True)
class Marked:
    execution_id: int
    node_id: str
    state: str
    reason: str


def mark_unfinished(
    store: Store,
    pipeline: str,
    run_id: str,
    *,
    root: str,
    status: str,
    failures: str,
    log: Callable[[str], None] = print,
) -> list[Marked]:
    """Mark every RUNNING execution of run `run_id`: FAILED if Argo lists its step among the
    failures (with Argo's message), else CANCELED (the workflow ended while it ran)."""
    failed = _failures(failures)
    # The exit handler carries only the pipeline's name (what one pod receives must not grow
    # with the pipeline): which nodes are container nodes comes from the run graph the run step
    # recorded, their outputs' folders from the output URI layout.
    run = store.get_run(run_id)
    containers = {n.id for n in run.graph if n.kind == "container"} if run else set()
    marked = []
    for execution in store.run_executions(pipeline, run_id):
        if execution.state != RUNNING:
            continue
        failure = failed.get(_key(execution.node_id))
        if failure is not None:
            message = str(failure.get("message") or "no message")
            # `argo stop`/`argo terminate` fail the running steps with this message: the step
            # did not fail, it was cancelled.
            state = CANCELED if _STOPPED.search(message) else FAILED
            verb = "was stopped" if state == CANCELED else "failed"
            reason = f"{MARK} {status}: step {failure.get('displayName')} {verb}: {message}"
        else:
            state = CANCELED
            others = "; ".join(
                f"{f.get('displayName')}: {f.get('message')}" for f in failed.values()
            )
            reason = f"{MARK} {status} while this step ran" + (f" ({others})" if others else "")
        # A container node's outputs stay: `argo retry` re-runs its container step into the
        # same URIs and its publisher publishes this execution (container_publish.py). Others'
        # go before the state is written, so a finished execution never shows partial folders.
        if execution.node_id not in containers:
            _remove_outputs(root, pipeline, execution.node_id, execution.id)
        store.finish(execution.id, state, reason)
        log(f"headrace: marked execution {execution.id} ({execution.node_id}) {state}: {reason}")
        marked.append(
            Marked(execution_id=execution.id, node_id=execution.node_id, state=state, reason=reason)
        )
    return marked


def _remove_outputs(root: str, pipeline: str, node_id: str, execution_id: int) -> None:
    # Output URIs are {root}/{pipeline}/{node}/{output}/{execution_id} (launch.output_uri).
    if "://" in root:  # an object store: unpublished objects stay, never read (URIs are unique)
        return
    pattern = os.path.join(glob.escape(root), glob.escape(pipeline), glob.escape(node_id), "*",
                           str(execution_id))
    for path in glob.glob(pattern):
        shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        remove_summary(root, pipeline, node_id, execution_id)


def _failures(text: str) -> dict[str, dict[str, Any]]:
    """Argo's `{{workflow.failures}}` (a JSON list of failed nodes, or "null"), by task key."""
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = [{"displayName": "?", "message": text}]
    found: dict[str, dict[str, Any]] = {}
    for failure in parsed if isinstance(parsed, list) else []:
        if isinstance(failure, dict):
            found[_key(str(failure.get("displayName", "")))] = failure
    return found


def _key(name: str) -> str:
    # Task names are node ids made Kubernetes names (CsvExampleGen -> csv-example-gen): compare
    # both as bare lower-case letters and digits. A container node's own step is the node's.
    return re.sub(r"[^a-z0-9]", "", name.lower())
