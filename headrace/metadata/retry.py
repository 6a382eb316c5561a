"""Retrying MLMD calls on transient errors: lost MySQL connections, deadlocks, SQLite locks."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from ml_metadata import errors as mlmd_errors

T = TypeVar("T")

_TRANSIENT_TYPES = (
    mlmd_errors.AbortedError,
    mlmd_errors.UnavailableError,
    mlmd_errors.DeadlineExceededError,
)
# MLMD reports these as INTERNAL with the database's message; they pass if tried again.
_TRANSIENT_TEXT = (
    "database is locked",
    "deadlock",
    "lost connection",
    "server has gone away",
    "try restarting transaction",
    "lock wait timeout",
    # Several processes creating the schema of an empty database at once: MLMD asks to retry,
    # or gives up after its own few retries of SQLite's busy database.
    "please retry",
    "concurrent writes aborted",
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    text = str(exc).lower()
    # Schema-creation races surface as a plain RuntimeError from the C++ layer.
    known = isinstance(exc, mlmd_errors.StatusError | RuntimeError)
    return known and any(t in text for t in _TRANSIENT_TEXT)


def retrying(call: Callable[[], T], *, attempts: int = 8, base_delay: float = 0.05) -> T:
    """Run `call`, retrying transient errors with jittered exponential backoff (at most 2 s a
    wait; with the defaults about 6 s in all)."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts - 1 or not is_transient(exc):
                raise
            time.sleep(min(2.0, base_delay * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
