"""What one attempt of a cluster step had and how the one before it ended: read from the env
the compiler gives each step (headrace.compiler.memory_retry), recorded on its execution, and
said in words by `headrace runs show`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headrace.launcher import exit_codes

# = headrace.compiler.memory_retry's names (the compiler must not import the launcher, which
# loads ml_metadata; a test keeps them equal).
MEMORY_LIMIT_ENV = "HEADRACE_MEMORY_LIMIT"
ATTEMPT_ENV = "HEADRACE_ATTEMPT"
LAST_EXIT_CODE_ENV = "HEADRACE_LAST_EXIT_CODE"


@dataclass(frozen=True, kw_only=True)
class StepAttempt:
    retry: int | None  # Argo's retry number, 0 for the first attempt
    memory_limit: int | None  # the container's memory limit, bytes (after any podSpecPatch)
    last_exit_code: int | None  # how the attempt before this one ended (None on the first)

    def properties(self) -> dict[str, int]:
        """The execution's custom properties for this attempt."""
        found = {"attempt": self.retry, "memory_limit": self.memory_limit}
        return {k: v for k, v in found.items() if v is not None}


def from_env(env: Mapping[str, str]) -> StepAttempt | None:
    """The attempt the env describes; None outside a compiled step (no such variables)."""
    retry, limit = _int(env.get(ATTEMPT_ENV)), _int(env.get(MEMORY_LIMIT_ENV))
    if retry is None and limit is None:
        return None
    last = _int(env.get(LAST_EXIT_CODE_ENV)) if retry else None
    return StepAttempt(retry=retry, memory_limit=limit, last_exit_code=last)


def exit_words(code: int, message: str = "") -> str:
    """How a step's process ended, in words. 137 is SIGKILL: in a container with a memory limit
    almost always the kernel's OOM killer, which only Argo's message ("OOMKilled") proves."""
    if code == exit_codes.KILLED:
        if "OOMKilled" in message:
            return "killed for memory (OOMKilled, exit 137)"
        return "killed, most likely for memory (exit 137)"
    if code == exit_codes.TERMINATED:
        return "terminated (exit 143)"
    if code == exit_codes.INFRA_ERROR:
        return "infrastructure error (exit 20)"
    if code == exit_codes.USER_ERROR:
        return "failed in its code (exit 10)"
    return f"exit {code}"


def memory_words(limit: int | None) -> str:
    """A memory limit in bytes as people write it: 512Mi, 1Gi."""
    if limit is None:
        return "memory limit not recorded"
    for suffix, scale in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale}{suffix}"
    if limit >= 2**20:
        return f"{limit / 2**20:.0f}Mi"
    return f"{limit} B"


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:  # an unsubstituted placeholder: not a compiled Argo step
        return None


def ending_words(state: str, error: str, exit_code: int | None) -> str:
    """How one execution ended: its state, or how its step's process ended when known (the
    exit code a retry recorded, or Argo's message that the exit handler recorded)."""
    if state in ("COMPLETE", "CACHED", "RUNNING"):
        return state
    if exit_code is not None:  # recorded by the retry that followed it
        return exit_words(exit_code, error)
    found = re.search(r"exit code (-?[0-9]+)", error)
    if found:  # Argo's message, as the exit handler recorded it
        return f"{exit_words(int(found.group(1)), error)}, {state}"
    first = error.splitlines()[0] if error else ""
    return f"{state}" + (f" ({first[:120]})" if first else "")


def attempts_by_node(executions: Sequence[Any]) -> dict[str, str]:
    """For each node that ran more than once in a run (a retried step): one line saying what
    each attempt had and how it ended, e.g. "attempt 1: 256Mi, killed for memory (OOMKilled,
    exit 137), CANCELED; attempt 2: 512Mi, COMPLETE"."""
    by_node: dict[str, list[Any]] = {}
    for e in sorted(executions, key=lambda e: e.id):
        by_node.setdefault(e.node_id, []).append(e)
    lines = {}
    for node_id, runs in by_node.items():
        if len(runs) < 2 and not any(e.attempt for e in runs):
            continue
        lines[node_id] = "; ".join(
            f"attempt {i}: "
            + (f"{memory_words(e.memory_limit)}, " if e.memory_limit is not None else "")
            + ending_words(e.state, e.error, e.exit_code)
            for i, e in enumerate(runs, 1)
        )
    return lines
