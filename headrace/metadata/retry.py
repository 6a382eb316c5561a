"""Retrying MLMD calls on transient errors: lost MySQL connections, a restarted server,
deadlocks, SQLite locks."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from ml_metadata import errors as mlmd_errors

T = TypeVar("T")

# How long a store call keeps retrying a server that went away (a MariaDB restart takes a few
# seconds; a MySQL pod rescheduled in a cluster, tens): after that the step fails with a
# retryable exit code and Argo's retryStrategy takes over.
RETRY_SECONDS_ENV = "HEADRACE_METADATA_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 60.0

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
# A store that answered before and now cannot be reached is being restarted (MLMD reconnects
# by itself on the next call). Only for a store already open: when opening, the same text means
# a wrong password as often as a server that is down, and connect.py tells those apart.
_RECONNECT_TEXT = (
    "mysql_real_connect failed",
    "can't connect to",
    "server shutdown in progress",
    "connection refused",
)


def is_transient(exc: BaseException, *, reconnecting: bool = False) -> bool:
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    text = str(exc).lower()
    # Schema-creation races surface as a plain RuntimeError from the C++ layer.
    known = isinstance(exc, mlmd_errors.StatusError | RuntimeError)
    texts = _TRANSIENT_TEXT + (_RECONNECT_TEXT if reconnecting else ())
    return known and any(t in text for t in texts)


def is_connection_lost(exc: BaseException) -> bool:
    """The MySQL connection under a store is gone (the server restarted or went away)."""
    text = str(exc).lower()
    lost = ("lost connection", "server has gone away", *_RECONNECT_TEXT)
    return isinstance(exc, mlmd_errors.StatusError | RuntimeError) and any(t in text for t in lost)


def retry_seconds() -> float:
    try:
        return float(os.environ.get(RETRY_SECONDS_ENV, DEFAULT_RETRY_SECONDS))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def retrying(
    call: Callable[[], T],
    *,
    attempts: int = 8,
    base_delay: float = 0.05,
    seconds: float | None = None,
    reconnecting: bool = False,
) -> T:
    """Run `call`, retrying transient errors with jittered exponential backoff (at most 2 s a
    wait). It gives up after `attempts` tries (with the defaults about 6 s in all), or, when
    `seconds` is given, once that much time has passed, however many tries that took."""
    deadline = None if seconds is None else time.monotonic() + seconds
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc, reconnecting=reconnecting):
                raise
            if deadline is None and attempt >= attempts - 1:
                raise
            delay = min(2.0, base_delay * 2**attempt) * (0.5 + random.random())
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            attempt += 1
            time.sleep(delay)
