"""A step's pod as replay runs it: the main container, its sidecars, and the two ways to run
them (processes on this machine, or Docker containers of their images on the host network)."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from headrace.replay.model import Attempt, ReplayError

_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?")
_SCALE = {
    None: 1,
    "m": 0.001,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
STOPPED_MESSAGE = "Stopped with strategy 'Stop'"
OOM_MESSAGE = "OOMKilled (exit code 137)"
OOM_EXIT_CODE = 137


def quantity(text: str, what: str) -> float:
    """A Kubernetes quantity ('500m', '2Gi') as a number (written here, not imported from the
    compiler: replay reads only the YAML)."""
    match = _QUANTITY.fullmatch(str(text))
    if not match:
        raise ReplayError(f"{what}: {text!r} is not a Kubernetes quantity")
    return float(match.group(1)) * _SCALE[match.group(2)]


@dataclass(frozen=True, kw_only=True)
class Container:
    name: str
    image: str
    argv: list[str]
    env: dict[str, str]
    mounts: list[tuple[str, str]] = field(default_factory=list)  # (this machine, container)
    cpus: float | None = None  # limits.cpu
    memory: int | None = None  # limits.memory, bytes
    service_port: int | None = None  # a sidecar serving this port must be up before main starts


@dataclass(frozen=True, kw_only=True)
class Pod:
    name: str  # unique per attempt; the container names derive from it
    main: Container
    sidecars: list[Container]
    outputs: list[str]  # files of the main container read once it ended (parameters, artifacts)
    timeout: float
    labels: dict[str, str] = field(default_factory=dict)


class Runner(Protocol):
    def run(self, pod: Pod, stop: threading.Event, retry_codes: set[int]) -> Attempt: ...


def _attempt(
    code: int,
    out: str,
    err: str,
    started: float,
    retry_codes: set[int],
    message: str,
    files: dict[str, bytes],
) -> Attempt:
    return Attempt(
        exit_code=code,
        stdout=out,
        stderr=err,
        seconds=time.monotonic() - started,
        retryable=code in retry_codes,
        message=message,
        files=files,
    )


def _wait_for_port(port: int, alive: Callable[[], bool], where: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not alive():
            raise ReplayError(f"{where} exited before serving port {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise ReplayError(f"{where} did not serve port {port} within 60 s")


class ProcessRunner:
    """Each container as a process of this machine (the image is ignored: this virtualenv stands
    in for it). Mounts must already be at their mount paths; outputs are read from the paths."""

    def __init__(self, base_env: Mapping[str, str], cwd: str | None) -> None:
        self.base_env, self.cwd = dict(base_env), cwd
        self._guard = threading.Lock()
        self._path_locks: dict[str, threading.Lock] = {}

    def run(self, pod: Pod, stop: threading.Event, retry_codes: set[int]) -> Attempt:
        # Pods have a file system each; processes share this one. Steps that write the same
        # output paths (the KFP UI metadata file, a driver's parameters) run one at a time.
        with self._guard:
            locks = [self._path_locks.setdefault(p, threading.Lock()) for p in sorted(pod.outputs)]
        with contextlib.ExitStack() as held:
            for lock in locks:  # in sorted order: no two steps wait on each other
                held.enter_context(lock)
            return self._run(pod, stop, retry_codes)

    def _run(self, pod: Pod, stop: threading.Event, retry_codes: set[int]) -> Attempt:
        for path in pod.outputs:  # a fresh pod has none of them: no stale file may pass
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        sidecars = [self._start(s, capture=False) for s in pod.sidecars]
        started = time.monotonic()
        message = ""
        try:
            for spec, running in zip(pod.sidecars, sidecars, strict=True):
                if spec.service_port:
                    _wait_for_port(
                        spec.service_port,
                        functools.partial(_alive, running),
                        f"sidecar {spec.name!r}",
                    )
            proc = self._start(pod.main, capture=True)
            while True:
                try:
                    out, err = proc.communicate(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    over = time.monotonic() - started > pod.timeout
                    if over or stop.is_set():
                        message = DEADLINE_MESSAGE if over else STOPPED_MESSAGE
                        proc.kill()
            # A process killed by a signal: 128 + its number, as a container runtime reports.
            code = -1 if message else (
                128 - proc.returncode if proc.returncode < 0 else proc.returncode)
        finally:
            for side in sidecars:  # Argo kills the sidecars once the main container ends
                side.terminate()
            for side in sidecars:
                try:
                    side.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    side.kill()
        files = {}
        for path in pod.outputs:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError), open(path, "rb") as f:
                files[path] = f.read()
        return _attempt(
            code,
            out,
            err + (f"\n{message}" if message else ""),
            started,
            retry_codes,
            message,
            files,
        )

    def _start(self, c: Container, *, capture: bool) -> subprocess.Popen[str]:
        out = subprocess.PIPE if capture else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                c.argv,
                env={**self.base_env, **c.env},
                cwd=self.cwd,
                stdout=out,
                stderr=out,
                text=True,
            )
        except OSError as exc:
            raise ReplayError(f"container {c.name!r}: cannot start {c.argv[0]!r}: {exc}") from exc


class DockerRunner:
    """Each container as a Docker container of its image on the host network (so it reaches
    MLMD and services on this machine's loopback), with its CPU and memory limits, its mounts
    bound from this machine; outputs are copied out of the stopped container."""

    def __init__(self, client: Any | None = None, log: Callable[[str], None] = print) -> None:
        self.client = client or docker_client()
        self.log = log

    def run(self, pod: Pod, stop: threading.Event, retry_codes: set[int]) -> Attempt:
        import docker

        started = time.monotonic()
        sidecars = []
        message = ""
        try:
            for side in pod.sidecars:
                started_side = self._start(side, f"{pod.name}-{side.name}", pod.labels)
                sidecars.append(started_side)
                if side.service_port:
                    _wait_for_port(
                        side.service_port,
                        functools.partial(_running, started_side),
                        f"sidecar {side.name!r}",
                    )
            main = self._start(pod.main, pod.name, pod.labels)
            try:
                while True:
                    try:
                        code = int(main.wait(timeout=1)["StatusCode"])
                        break
                    except Exception as exc:  # requests' ReadTimeout: still running
                        if isinstance(exc, docker.errors.NotFound):
                            raise ReplayError(f"container {pod.name} vanished") from exc
                        over = time.monotonic() - started > pod.timeout
                        if over or stop.is_set():
                            message = DEADLINE_MESSAGE if over else STOPPED_MESSAGE
                            with contextlib.suppress(docker.errors.APIError):
                                main.kill()
                code = -1 if message else code
                if code == OOM_EXIT_CODE and _oom_killed(main):
                    message = OOM_MESSAGE  # as Argo words a pod the kernel killed for memory
                out = main.logs(stdout=True, stderr=False).decode(errors="replace")
                err = main.logs(stdout=False, stderr=True).decode(errors="replace")
                files = {p: data for p in pod.outputs if (data := _read(main, p)) is not None}
            finally:
                with contextlib.suppress(docker.errors.APIError):
                    main.remove(force=True)
        finally:
            for side in sidecars:
                with contextlib.suppress(docker.errors.APIError):
                    side.remove(force=True)
        if message:
            err += f"\n{message}"
        return _attempt(code, out, err, started, retry_codes, message, files)

    def _start(self, c: Container, name: str, labels: Mapping[str, str]) -> Any:
        import docker

        kwargs: dict[str, Any] = {}
        if c.cpus:
            kwargs["nano_cpus"] = int(c.cpus * 1e9)
        if c.memory:
            # No swap beyond the limit (Kubernetes nodes run without): over it, the kernel's
            # OOM killer ends the container with 137, as in a pod.
            kwargs["mem_limit"] = kwargs["memswap_limit"] = c.memory
        try:
            return self.client.containers.run(
                c.image,
                entrypoint=c.argv[:1],
                command=c.argv[1:],
                environment=c.env,
                name=_container_name(name),
                labels=dict(labels),
                detach=True,
                network_mode="host",
                **kwargs,
                volumes={host: {"bind": inside, "mode": "rw"} for host, inside in c.mounts},
            )
        except docker.errors.ImageNotFound as exc:
            raise ReplayError(
                f"container {c.name!r}: image {c.image} is not in the local Docker engine; build "
                f"it (`headrace image build`, or `--context DIR` for yours) or `docker pull` it."
            ) from exc
        except docker.errors.APIError as exc:
            raise ReplayError(
                f"container {c.name!r}: Docker cannot start {c.image}: {exc}"
            ) from exc


def _oom_killed(container: Any) -> bool:
    import docker

    try:
        container.reload()
    except docker.errors.APIError:
        return False
    return bool(container.attrs.get("State", {}).get("OOMKilled"))


def _alive(proc: subprocess.Popen[str]) -> bool:
    return proc.poll() is None


def _running(container: Any) -> bool:
    container.reload()
    return bool(container.status in ("created", "running"))


def _read(container: Any, path: str) -> bytes | None:
    import docker

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        if member is None or not member.isfile():
            return None
        handle = tar.extractfile(member)
        return handle.read() if handle else None


def _container_name(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", text)[:200]


def docker_client() -> Any:
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise ReplayError(
            f"--docker needs a running Docker engine and none answers "
            f"({os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock'}): {exc}. Start "
            f"dockerd (scripts/setup-docker.sh does), or replay without --docker."
        ) from exc
    return client
