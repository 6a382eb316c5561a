"""A background service process (JVM job server, SDK worker pool): started in its own process
group, told to die with its parent, waited for until it listens, stopped with all its children."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from headrace.errors import BeamServerError

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


def listening(host: str, port: int, timeout: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout):
        return True
    return False


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to the service when the process that started it dies, even
    # by SIGKILL, so no JVM outlives `headrace beam serve` or a test session.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


class Service:
    """One started service; `stop()` ends its whole process group."""

    def __init__(
        self,
        *,
        what: str,
        command: Sequence[str],
        port: int,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.what, self.port, self.log = what, port, log
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                list(command),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,  # its own group: a terminal's Ctrl-C reaches us only
                preexec_fn=_die_with_parent,
            )

    def wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BeamServerError(
                    f"The {self.what} exited (code {self.process.returncode}) before it "
                    f"listened on localhost:{self.port}; its log {self.log} ends:\n{tail(self.log)}"
                )
            if listening("localhost", self.port):
                return
            time.sleep(0.25)
        self.stop()
        raise BeamServerError(
            f"The {self.what} did not listen on localhost:{self.port} within {timeout:.0f} s; "
            f"its log {self.log} ends:\n{tail(self.log)}"
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group (the JVM's shutdown hooks stop the engine), SIGKILL after `grace`."""
        if self.process.poll() is not None:
            self._reap_group()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._reap_group()

    def _reap_group(self) -> None:
        # Children of the group (SDK workers of a pool) may outlive their leader.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
