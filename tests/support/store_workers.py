"""Store helpers for the metadata tests; run as a script it is one of many concurrent writers.

`python store_workers.py URL N` records N one-node runs. The tests start it as a plain
subprocess (by file path) so the child never has to import the `tests` package, whose
resolution depends on how pytest was started.
"""

from __future__ import annotations

import os
import sys

from headrace.metadata import NodeExecution, open_store
from headrace.types import Examples


def produce(store, run_id="r1", node="gen", key="k1", uri="/data/x"):
    """Record one execution of `node` publishing one Examples artifact."""
    eid = store.start_execution(
        NodeExecution(pipeline="p", run_id=run_id, node_id=node, component="Gen", cache_key=key), {}
    )
    out = store.publish(eid, {"examples": [Examples(uri, {"span": 3, "rows": 10})]})
    return eid, out


def register_runs(url: str, n: int) -> None:
    """Open the store at `url` and record `n` one-node runs named after this process."""
    store = open_store(url)
    pid = os.getpid()
    for i in range(n):
        produce(store, run_id=f"run-{pid}-{i}", node="gen", key=f"k{i}")


if __name__ == "__main__":
    register_runs(sys.argv[1], int(sys.argv[2]))
