"""The Beam SDK worker pool (`--environment_type=EXTERNAL`) on this machine, as the compiled
workflow's sidecar serves Flink/Spark in a cluster: the engine asks it for SDK workers.

The pool starts each worker as `python` from PATH, so this Python's directory goes first on PATH:
the workers then import the same Beam, TFX libraries and Headrace as the run that submits jobs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from headrace.runner.beam.processes import Service, free_port


class WorkerPool:
    """`WorkerPool.start(log)`; `address` goes into `--environment_config`."""

    def __init__(self, service: Service) -> None:
        self.service = service

    @property
    def address(self) -> str:
        return f"localhost:{self.service.port}"

    @property
    def log(self) -> Path:
        return self.service.log

    @classmethod
    def start(
        cls, log: Path, *, port: int | None = None, mode: str = "processes", timeout: float = 60.0
    ) -> WorkerPool:
        """`mode`: SDK workers as `processes` or `threads` (see headrace.runner.beam.pool_main)."""
        port = port or free_port()
        bindir = os.path.dirname(sys.executable)
        # The workers unpickle the jobs' functions by module name: give them this process's
        # import path (the pipeline file's directory included), so that what the run imports
        # they import too.
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": os.pathsep.join(paths)}
        command = [
            sys.executable,
            "-m",
            "headrace.runner.beam.pool_main",
            f"--port={port}",
            f"--workers={mode}",
        ]
        service = Service(
            what=f"Beam SDK worker pool ({mode})", command=command, port=port, log=log, env=env
        )
        try:
            service.wait_listening(timeout)
        except BaseException:
            service.stop()
            raise
        return cls(service)

    def stop(self) -> None:
        self.service.stop()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
