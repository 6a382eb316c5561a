"""A Beam job server on a real engine, on this machine: Flink's embedded mini-cluster or Spark's
local master, started from the jars Maven cached (see `jars`), stopped with its JVM."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from headrace.errors import BeamServerError
from headrace.runner.beam import jars
from headrace.runner.beam.engines import ENGINES, Engine
from headrace.runner.beam.processes import Service, free_port, listening


def log_path(engine: str, port: int) -> Path:
    """Where the job server of `engine` on `port` writes its log (named in failed jobs' errors)."""
    return jars.cache_dir() / "logs" / f"{engine}-{port}.log"


class JobServer:
    """`JobServer.start("flink", port=8099)`; a context manager that stops it."""

    def __init__(self, engine: Engine, service: Service, workers: int) -> None:
        self.engine, self.service, self.workers = engine, service, workers

    @property
    def endpoint(self) -> str:
        return f"localhost:{self.service.port}"

    @property
    def log(self) -> Path:
        return self.service.log

    @classmethod
    def start(
        cls,
        name: str,
        *,
        port: int | None = None,
        workers: int = 2,
        timeout: float = 180.0,
        log: Callable[[str], None] = print,
    ) -> JobServer:
        if name not in ENGINES:
            raise BeamServerError(
                f"No Beam job server {name!r}; choose one of {', '.join(ENGINES)}."
            )
        engine = ENGINES[name]
        java = shutil.which("java")
        if java is None:
            raise BeamServerError(
                f"The {name} job server needs Java 17 (`java` is not on PATH); install it "
                f"(apt-get install openjdk-17-jre-headless)."
            )
        if port is not None and listening("localhost", port):
            raise BeamServerError(
                f"Port {port} on localhost is taken; stop what listens there or pick another "
                f"with --port."
            )
        classpath = jars.classpath(engine, log=log)
        port = port or free_port()
        conf = jars.cache_dir() / "conf" / f"{name}-{port}"
        conf.mkdir(parents=True, exist_ok=True)
        for file, text in engine.config_files(workers).items():
            (conf / file).write_text(text)
        command = [
            java,
            *engine.jvm_options,
            "-cp",
            ":".join(classpath),
            engine.main_class,
            *engine.server_args(port=port, workers=workers, conf_dir=str(conf)),
        ]
        service = Service(
            what=f"{name} job server ({engine.describe()})",
            command=command,
            port=port,
            log=log_path(name, port),
        )
        try:
            service.wait_listening(timeout)
        except BaseException:
            service.stop()
            raise
        return cls(engine, service, workers)

    def stop(self) -> None:
        self.service.stop()

    def __enter__(self) -> JobServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
