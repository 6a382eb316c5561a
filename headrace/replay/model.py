"""What a replay produces and how it fails: attempts, task runs, the errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headrace.errors import HeadraceError

STDERR_TAIL = 3000


class ReplayError(HeadraceError):
    """The YAML asks for something Argo or Kubernetes would refuse (or replay cannot do), or
    replay lacks what the workflow needs (a secret, a mount, a Docker engine)."""


@dataclass(frozen=True, kw_only=True)
class Attempt:
    exit_code: int  # -1: killed at its deadline (activeDeadlineSeconds) or when the run stopped
    stdout: str
    stderr: str
    seconds: float
    retryable: bool
    message: str = ""  # Argo's message for the node, e.g. "exceeded its deadline"
    files: dict[str, bytes] = field(default_factory=dict)  # declared outputs, read after it ended


@dataclass(kw_only=True)
class TaskRun:
    task: str
    node: str  # the KFP display name: the node id
    argv: list[str]
    attempts: list[Attempt] = field(default_factory=list)
    ui_metadata: dict[str, Any] | None = None
    skipped: bool = False  # its `when` was false: Argo marks it Skipped and runs its dependents
    parameters: dict[str, str] = field(default_factory=dict)  # its output parameters
    exit_handler: bool = False

    @property
    def succeeded(self) -> bool:
        return self.skipped or (bool(self.attempts) and self.attempts[-1].exit_code == 0)


class TaskFailed(HeadraceError):
    """A task failed for good; `run` has every attempt, `runs` every task of the replay."""

    def __init__(self, run: TaskRun, runs: list[TaskRun] | None = None) -> None:
        last = run.attempts[-1]
        self.run = run
        self.runs = runs or [run]
        self.task = run.task
        self.exit_code = last.exit_code
        why = "retryable, retries exhausted" if last.retryable else "not retryable"
        message = f" ({last.message})" if last.message else ""
        super().__init__(
            f"task {run.task!r} (node {run.node!r}) failed with exit code {last.exit_code}"
            f"{message} after {len(run.attempts)} attempt(s) ({why}); stderr ends:\n"
            f"{last.stderr[-STDERR_TAIL:]}"
        )
