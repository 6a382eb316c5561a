"""The local runner: a pipeline's nodes in dependency order, independent branches in parallel,
each through launch() — in this process, or in its own process through the entrypoint."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from headrace.errors import ExecutionError, HeadraceError, StorageError
from headrace.ir import PipelineIR
from headrace.launcher import (
    CACHED,
    DONE_BEFORE,
    EXECUTED,
    RESOLVED,
    LaunchResult,
    check_runtime_values,
    exit_codes,
    launch,
    record_run_graph,
    remove_outputs,
)
from headrace.launcher.interrupts import PARENT_ENV
from headrace.metadata import CANCELED, RUNNING, ExecutionRecord, Store


class Reporter(Protocol):
    def node_started(self, node_id: str) -> None: ...
    def node_finished(self, result: LaunchResult) -> None: ...
    def node_failed(self, node_id: str, error: BaseException) -> None: ...
    def note(self, text: str) -> None: ...


class SilentReporter:
    def node_started(self, node_id: str) -> None:
        pass

    def node_finished(self, result: LaunchResult) -> None:
        pass

    def node_failed(self, node_id: str, error: BaseException) -> None:
        pass

    def note(self, text: str) -> None:
        pass


class StopNow(BaseException):
    """A second Ctrl-C: the run stops without waiting for the nodes in flight."""


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    run_id: str
    pipeline: str
    root: str
    metadata: str
    seconds: float
    results: dict[str, LaunchResult] = field(default_factory=dict)
    failed: dict[str, BaseException] = field(default_factory=dict)
    not_run: tuple[str, ...] = ()
    interrupted: bool = False  # Ctrl-C: nothing new was started after it

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_run and not self.interrupted


def new_run_id(pipeline: str) -> str:
    """`<pipeline>-<UTC time>-<random>`: sortable, unique, and a valid Kubernetes name part."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{pipeline}-{stamp}-{secrets.token_hex(3)}"


@dataclass(kw_only=True)
class LocalRunner:
    store: Store
    metadata_url: str
    parallelism: int = 2
    isolate: bool = False  # each node in its own process, through `python -m headrace.entrypoint`
    reporter: Reporter = field(default_factory=SilentReporter)
    _children: dict[str, subprocess.Popen[str]] = field(default_factory=dict, init=False)
    _children_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def run(
        self,
        ir: PipelineIR,
        *,
        root: str,
        run_id: str | None = None,
        runtime_values: Mapping[str, Any] | None = None,
    ) -> RunSummary:
        """Run `ir`, or resume it given an existing run id; stops scheduling at a failure."""
        started = time.monotonic()
        check_runtime_values(ir, runtime_values or {})  # before anything is recorded
        run_id = run_id or new_run_id(ir.name)
        root = os.path.abspath(root)
        runtime_values = dict(runtime_values or {})
        results: dict[str, LaunchResult] = {}
        failed: dict[str, BaseException] = {}
        pending = {n.id: set(n.upstream) for n in ir.nodes}
        running: dict[Future[LaunchResult], str] = {}
        _check_writable(root)  # before anything is recorded
        if self.isolate:  # written once, before any node process reads it
            _write_ir_file(ir, root, run_id)
        record_run_graph(self.store, ir, run_id)  # so a report draws nodes that never run
        interrupted = False
        pool = ThreadPoolExecutor(max_workers=max(1, self.parallelism))
        try:
            while pending or running:
                if not failed and not interrupted:
                    for node_id in [n for n, ups in pending.items() if ups <= results.keys()]:
                        if len(running) >= max(1, self.parallelism):
                            break
                        del pending[node_id]
                        self.reporter.node_started(node_id)
                        future = pool.submit(
                            self._launch, ir, node_id, run_id, root, runtime_values
                        )
                        running[future] = node_id
                if not running:
                    break
                try:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    if interrupted:  # the second Ctrl-C
                        self._stop_now(ir, run_id, root, sorted(running.values()))
                        raise StopNow() from None
                    interrupted = True
                    self.reporter.note(
                        f"Interrupted: starting nothing new; waiting for "
                        f"{', '.join(sorted(running.values()))} to finish and be recorded. "
                        f"Press Ctrl-C again to stop now (they are recorded CANCELED)."
                    )
                    continue
                for future in finished:
                    node_id = running.pop(future)
                    try:
                        results[node_id] = future.result()
                        self.reporter.node_finished(results[node_id])
                    except BaseException as exc:
                        failed[node_id] = exc
                        self.reporter.node_failed(node_id, exc)
        finally:
            # Not `with`: after a second Ctrl-C the worker threads of in-process nodes cannot be
            # stopped, and joining them is what the user asked not to wait for.
            pool.shutdown(wait=not interrupted or not running, cancel_futures=True)
        return RunSummary(
            run_id=run_id,
            pipeline=ir.name,
            root=root,
            metadata=self.metadata_url,
            seconds=time.monotonic() - started,
            results=results,
            failed=failed,
            not_run=tuple(n for n in (x.id for x in ir.nodes) if n in pending),
            interrupted=interrupted,
        )

    def _stop_now(self, ir: PipelineIR, run_id: str, root: str, nodes: list[str]) -> None:
        """Stop the nodes in flight: node processes get SIGTERM and record themselves CANCELED;
        in-process nodes cannot be stopped, so their executions are marked CANCELED here (the
        caller then ends the process) and their partial outputs removed."""
        with self._children_lock:
            children = list(self._children.values())
        for child in children:
            with contextlib.suppress(OSError):
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for node_id in nodes:
            for e in self.store.run_executions(ir.name, run_id, node_id):
                if e.state == RUNNING:
                    remove_outputs(root, ir.name, ir.node(node_id), e.id)
                    self.store.finish(e.id, CANCELED, "stopped by a second Ctrl-C")

    def _launch(
        self, ir: PipelineIR, node_id: str, run_id: str, root: str, runtime: dict[str, Any]
    ) -> LaunchResult:
        if not self.isolate:
            return launch(
                ir, node_id, run_id=run_id, store=self.store, root=root, runtime_values=runtime
            )
        return self._launch_in_process(ir, node_id, run_id, root, runtime)

    def _launch_in_process(
        self, ir: PipelineIR, node_id: str, run_id: str, root: str, runtime: dict[str, Any]
    ) -> LaunchResult:
        started = time.monotonic()
        before = self.store.node_result(ir.name, run_id, node_id)
        if before is not None:  # done earlier in this run (a resume): no process needed
            return _result(before, DONE_BEFORE, "completed earlier in this run", started)
        ir_file = _ir_file(root, ir.name, run_id)
        command = [
            sys.executable,
            "-m",
            "headrace.entrypoint",
            "--ir",
            ir_file,
            "--node",
            node_id,
            "--run-id",
            run_id,
            "--metadata",
            self.metadata_url,
            "--root",
            root,
        ]
        for name, value in sorted(runtime.items()):
            command += ["--runtime-param", f"{name}={json.dumps(value)}"]
        for attempt in range(1 + INFRA_RETRIES):
            code, out, err = self._child(node_id, command)
            # As Argo's retryStrategy does: an infrastructure failure (the metadata store
            # unreachable for longer than a store call waits) gets another try.
            if code != exit_codes.INFRA_ERROR or attempt == INFRA_RETRIES:
                break
            self.reporter.note(f"{node_id}: infrastructure failure (exit code {code}); retrying")
            time.sleep(2.0 * (attempt + 1))
        if code != exit_codes.OK:
            raise ExecutionError(
                f"Node {node_id!r} failed in its own process (exit code {code}):\n"
                + (err.strip()[-3000:] or out.strip()[-3000:])
            )
        record = self.store.node_result(ir.name, run_id, node_id)
        if record is None:
            raise HeadraceError(f"Node {node_id!r} exited 0 but recorded no completed execution.")
        if ir.node(node_id).kind == "resolver":
            outcome = RESOLVED
        else:
            outcome = CACHED if record.state == "CACHED" else EXECUTED
        return _result(record, outcome, record.cache_reason, started)

    def _child(self, node_id: str, command: list[str]) -> tuple[int, str, str]:
        """Run one node process. Its own session: a Ctrl-C at the terminal reaches only this
        runner, which decides whether the node finishes (see run). It dies with this runner's
        thread (interrupts.die_with_parent), so a runner killed alone leaves no node behind."""
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # (Not preexec_fn, unsafe with threads: the child arms PR_SET_PDEATHSIG itself.)
            env={**os.environ, PARENT_ENV: str(os.getpid())},
        )
        with self._children_lock:
            self._children[node_id] = child
        try:
            out, err = child.communicate()
        finally:
            with self._children_lock:
                self._children.pop(node_id, None)
        return child.returncode, out, err


# Retries of a node process that exits with INFRA_ERROR (Argo's default limit is the same).
INFRA_RETRIES = 2


def _result(record: ExecutionRecord, outcome: str, reason: str, started: float) -> LaunchResult:
    return LaunchResult(
        node_id=record.node_id,
        execution_id=record.id,
        outcome=outcome,
        cache_reason=reason,
        seconds=time.monotonic() - started,
        inputs=record.inputs,
        outputs=record.outputs,
        summary_uri=record.summary_uri,
    )


def _ir_file(root: str, pipeline: str, run_id: str) -> str:
    return os.path.join(root, pipeline, ".runs", f"{run_id}.json")


def _write_ir_file(ir: PipelineIR, root: str, run_id: str) -> None:
    """The serialized IR the isolated node processes read, replaced atomically."""
    path = _ir_file(root, ir.name, run_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as f:
        f.write(ir.to_json())
    os.replace(f.name, path)


def _check_writable(root: str) -> None:
    """A root that cannot take a file fails the run before it records anything: a read-only
    mount holding earlier runs is worth reading (`headrace runs list`), not a traceback."""
    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".headrace-write-check-"):
            pass
    except OSError as exc:
        raise StorageError(
            f"The pipeline root {root} cannot be written ({exc.strerror}): a run writes every "
            f"node's outputs there. Run with a writable --root. The runs recorded there stay "
            f"readable: `headrace runs list --root {root}`."
        ) from exc
