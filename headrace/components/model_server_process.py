"""The model server as a child process: its command line (Headrace's server, or a user's command
template such as `tensorflow_model_server ...`), a free port, its log, and a sure stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from types import TracebackType

# The directory that holds the headrace package: the child imports headrace from here too.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The placeholders a command template may use.
PLACEHOLDERS = ("{port}", "{model_name}", "{model_base_path}")


def server_command(
    template: Sequence[str] | None, *, model_name: str, model_base_path: str
) -> list[str]:
    """The command line, with `{port}` still to fill in: ours unless a template is given."""
    if not template:
        return [
            sys.executable,
            "-m",
            "headrace.components.model_server",
            "--rest_api_port={port}",
            f"--model_name={model_name}",
            f"--model_base_path={model_base_path}",
        ]
    # Only these placeholders are replaced: a template may hold other braces.
    return [
        str(arg).replace("{model_name}", model_name).replace("{model_base_path}", model_base_path)
        for arg in template
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ModelServerProcess:
    """`with ModelServerProcess(command, log_file) as server:` — started on a free port, its
    output in `log_file`, stopped (with everything it started) when the block ends."""

    def __init__(self, command: Sequence[str], log_file: str) -> None:
        self.port = free_port()
        self.command = [arg.replace("{port}", str(self.port)) for arg in command]
        self.log_file = log_file
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ModelServerProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with open(self.log_file, "ab") as log:
            try:
                self._process = subprocess.Popen(
                    self.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # its own process group, stopped as a whole
                )
            except OSError as exc:
                self._process = None
                self._start_error = f"cannot start {self.command[0]!r}: {exc}"
        return self

    def stopped(self) -> str | None:
        """None while the server runs; else why it stopped, with the end of its log."""
        if self._process is None:
            return getattr(self, "_start_error", "the model server was not started")
        code = self._process.poll()
        if code is None:
            return None
        return f"the model server exited with status {code}: {self.log_tail()}"

    def log_tail(self, lines: int = 5) -> str:
        try:
            with open(self.log_file, errors="replace") as f:
                text = [line.strip() for line in f if line.strip()]
        except OSError:
            return "(no log)"
        # Errors are what matter; TensorFlow's start-up chatter is not.
        errors = [t for t in text if "error" in t.lower() or "failed" in t.lower()]
        return " | ".join((errors or text)[-lines:]) or "(empty log)"

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
