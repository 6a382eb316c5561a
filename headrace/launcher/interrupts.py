"""Stopping a node on purpose: SIGTERM (Argo deleting a pod, a parent runner stopping its node
processes) becomes an exception, so the execution is recorded CANCELED with the reason and its
partial outputs removed, instead of the process vanishing with the execution left RUNNING."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from types import FrameType


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM). A BaseException, like KeyboardInterrupt, so
    that no `except Exception` in user code swallows it."""


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"stopped by {signal.Signals(signum).name}")


def raise_on_sigterm() -> None:
    """In the main thread of a node process: SIGTERM raises Terminated."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


def is_interrupt(exc: BaseException) -> bool:
    """Stopped from outside (Ctrl-C, SIGTERM), not failed: recorded CANCELED."""
    return isinstance(exc, KeyboardInterrupt | Terminated)


# Set by a parent runner (the local runner's --isolate) to its pid: the node process then dies
# with it (SIGTERM, so it records itself CANCELED) instead of running on orphaned and failing
# on a broken pipe.
PARENT_ENV = "HEADRACE_PARENT_PID"


def die_with_parent() -> None:
    """Arm PR_SET_PDEATHSIG (Linux) when PARENT_ENV names the parent; exit at once if that
    parent is already gone."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG: sent when the parent thread ends
    if str(os.getppid()) != parent:
        raise Terminated(f"the parent runner (pid {parent}) is gone")
