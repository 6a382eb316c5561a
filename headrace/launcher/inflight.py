"""Two runs that reach one cache key at the same time do the work once: the later execution
waits for the earlier one in flight and reuses its outputs, or runs itself if that one dies.

Safe on SQLite and MySQL alike because nothing is decided before it is recorded: each run first
records its RUNNING execution, then waits only for RUNNING executions with the same key and a
LOWER id (MLMD hands out ids in commit order), so of two runs starting together exactly one
waits. A RUNNING execution counts as alive while its process touches it (a heartbeat every few
seconds, `Store.heartbeat`); a killed one goes stale and is no longer waited for. Waiting is
bounded (HEADRACE_INFLIGHT_WAIT_SECONDS); after that the run executes the node itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from headrace.ir import NodeIR, PipelineIR
from headrace.launcher import driver
from headrace.metadata import Store

HEARTBEAT_ENV = "HEADRACE_HEARTBEAT_SECONDS"
WAIT_ENV = "HEADRACE_INFLIGHT_WAIT_SECONDS"
_log = logging.getLogger(__name__)


def _seconds(env: str, default: float) -> float:
    try:
        return max(0.05, float(os.environ.get(env, default)))
    except ValueError:
        return default


def heartbeat_seconds() -> float:
    return _seconds(HEARTBEAT_ENV, 10.0)


def stale_seconds() -> float:
    """How long without a heartbeat before an execution counts as dead: three missed beats
    and some slack for clocks of different machines (MLMD stamps times client-side)."""
    return 3 * heartbeat_seconds() + 5


class Heartbeat:
    """A daemon thread that touches a RUNNING execution until stopped."""

    def __init__(self, store: Store, execution_id: int) -> None:
        self._store = store
        self._execution_id = execution_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{execution_id}", daemon=True
        )

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _beat(self) -> None:
        interval = heartbeat_seconds()
        while not self._stop.wait(interval):
            try:
                if not self._store.heartbeat(self._execution_id):
                    return
            except Exception as exc:  # a missed beat is no reason to fail the node
                _log.warning("execution %s: heartbeat not recorded: %s", self._execution_id, exc)


def wait_for_earlier(
    store: Store,
    ir: PipelineIR,
    node: NodeIR,
    key: str,
    execution_id: int,
    *,
    log: Callable[[str], None] = lambda _: None,
) -> driver.CacheDecision | None:
    """Wait while an earlier live execution with this cache key is in flight. Returns the cache
    decision to reuse what it published, or None: nothing to wait for (any more), execute."""
    started = time.monotonic()
    limit = _seconds(WAIT_ENV, 3600.0)
    poll = min(1.0, heartbeat_seconds() / 2)
    waited_for: set[int] = set()
    while True:
        now_ms = time.time() * 1000
        live = [
            e
            for e in store.find_running(ir.name, node.component, key)
            if e.id < execution_id and now_ms - e.updated_ms < stale_seconds() * 1000
        ]
        if not live:
            # Looked up again even without waiting: the other run may have published between
            # this run's cache lookup and the recording of its own execution.
            decision = driver.find_reusable(store, ir, node, key)
            if decision.hit is None:
                if waited_for:
                    log(f"{node.id}: the execution it waited for did not complete; executing")
                return None
            if not waited_for:
                return decision
            seconds = time.monotonic() - started
            return driver.CacheDecision(
                hit=decision.hit,
                reason=f"{decision.reason} (waited {seconds:.1f}s for it to finish)",
            )
        leader = live[0]
        if leader.id not in waited_for:
            waited_for.add(leader.id)
            log(
                f"{node.id}: waiting for execution {leader.id} of run {leader.run_id}, in flight "
                f"with the same cache key {key[:12]}"
            )
        if time.monotonic() - started > limit:
            log(f"{node.id}: waited {limit:.0f}s ({WAIT_ENV}); executing it here too")
            return None
        time.sleep(poll)
