"""The local runner: a pipeline's nodes in dependency order, independent branches in parallel,
each through launch() — in this process, or in its own process through the entrypoint."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from headrace.errors import ExecutionError, HeadraceError
from headrace.ir import PipelineIR
from headrace.launcher import (
    CACHED,
    EXECUTED,
    LaunchResult,
    check_runtime_values,
    exit_codes,
    launch,
    record_run_graph,
)
from headrace.metadata import Store


class Reporter(Protocol):
    def node_started(self, node_id: str) -> None: ...
    def node_finished(self, result: LaunchResult) -> None: ...
    def node_failed(self, node_id: str, error: BaseException) -> None: ...


class SilentReporter:
    def node_started(self, node_id: str) -> None:
        pass

    def node_finished(self, result: LaunchResult) -> None:
        pass

    def node_failed(self, node_id: str, error: BaseException) -> None:
        pass


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

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_run


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
        if self.isolate:  # written once, before any node process reads it
            _write_ir_file(ir, root, run_id)
        record_run_graph(self.store, ir, run_id)  # so a report draws nodes that never run
        with ThreadPoolExecutor(max_workers=max(1, self.parallelism)) as pool:
            while pending or running:
                if not failed:
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
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node_id = running.pop(future)
                    try:
                        results[node_id] = future.result()
                        self.reporter.node_finished(results[node_id])
                    except BaseException as exc:
                        failed[node_id] = exc
                        self.reporter.node_failed(node_id, exc)
        return RunSummary(
            run_id=run_id,
            pipeline=ir.name,
            root=root,
            metadata=self.metadata_url,
            seconds=time.monotonic() - started,
            results=results,
            failed=failed,
            not_run=tuple(n for n in (x.id for x in ir.nodes) if n in pending),
        )

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
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != exit_codes.OK:
            raise ExecutionError(
                f"Node {node_id!r} failed in its own process (exit code {done.returncode}):\n"
                + (done.stderr.strip()[-3000:] or done.stdout.strip()[-3000:])
            )
        record = self.store.node_result(ir.name, run_id, node_id)
        if record is None:
            raise HeadraceError(f"Node {node_id!r} exited 0 but recorded no completed execution.")
        return LaunchResult(
            node_id=node_id,
            execution_id=record.id,
            outcome=CACHED if record.state == "CACHED" else EXECUTED,
            cache_reason=record.cache_reason,
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
