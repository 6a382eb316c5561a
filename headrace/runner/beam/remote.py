"""A local run whose Beam jobs go to a Flink or Spark job server: the endpoint checked, an SDK
worker pool started for the run, the runner flags put over the pipeline's Beam args."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from headrace.components.beam import JOB_SERVER_LOG_ENV, WORKER_POOL_LOG_ENV
from headrace.ir import PipelineIR, merge_beam_args
from headrace.runner.beam import jars
from headrace.runner.beam.flags import check_endpoint, portable_args
from headrace.runner.beam.server import log_path
from headrace.runner.beam.worker_pool import WorkerPool


@dataclass(frozen=True, kw_only=True)
class RemoteBeam:
    """Where this run's Beam jobs go, for the run's header line."""

    runner: str
    endpoint: str
    worker_pool: str
    sdk_workers: str
    worker_pool_log: str
    job_server_log: str | None

    def describe(self) -> str:
        logs = f"; its log: {self.job_server_log}" if self.job_server_log else ""
        return (
            f"Beam jobs go to the {self.runner} job server at {self.endpoint}{logs}; SDK "
            f"workers ({self.sdk_workers}) come from the pool at {self.worker_pool} (log: "
            f"{self.worker_pool_log})"
        )


def _server_log(runner: str, endpoint: str) -> str | None:
    host, _, port = endpoint.rpartition(":")
    if host not in ("localhost", "127.0.0.1") or not port.isdigit():
        return None
    path = log_path(runner, int(port))
    return str(path) if path.exists() else None


@contextlib.contextmanager
def remote_beam(
    ir: PipelineIR,
    *,
    runner: str,
    endpoint: str,
    root: str,
    workers: int = 2,
    sdk_workers: str = "processes",
    announce: Callable[[RemoteBeam], None] | None = None,
) -> Iterator[PipelineIR]:
    """`ir` with the flags that send its Beam jobs to `endpoint`, while a worker pool runs.

    The command line's flags win over the pipeline's `beam_args` (a pipeline that names
    DirectRunner still goes to Flink when asked to); a node's own `beam_args` still win.
    """
    check_endpoint(endpoint, runner)
    pool_log = jars.cache_dir() / "logs" / f"worker-pool-{os.getpid()}-{int(time.time())}.log"
    with WorkerPool.start(pool_log, mode=sdk_workers) as pool:
        args = portable_args(
            runner=runner,
            endpoint=endpoint,
            worker_pool=pool.address,
            artifacts_dir=os.path.join(root, "_beam_artifacts"),
            workers=workers,
        )
        remote = RemoteBeam(
            runner=runner,
            endpoint=endpoint,
            worker_pool=pool.address,
            sdk_workers=sdk_workers,
            worker_pool_log=str(pool.log),
            job_server_log=_server_log(runner, endpoint),
        )
        if announce:
            announce(remote)
        saved = {name: os.environ.get(name) for name in (JOB_SERVER_LOG_ENV, WORKER_POOL_LOG_ENV)}
        os.environ[WORKER_POOL_LOG_ENV] = str(pool.log)
        if remote.job_server_log:
            os.environ[JOB_SERVER_LOG_ENV] = remote.job_server_log
        try:
            yield dataclasses.replace(ir, beam_args=merge_beam_args(ir.beam_args, args))
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
