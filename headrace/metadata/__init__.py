"""ML Metadata: the only package that imports ml_metadata. Open a store with `open_store(url)`."""

import os

# MLMD's C++ layer logs a misleading line about MySQL 8's mysql_native_password on every
# failed MySQL login; connect.py says what really failed. glog reads this when MLMD loads.
os.environ.setdefault("GLOG_minloglevel", "3")


from headrace.metadata.connect import open_store
from headrace.metadata.records import (
    CACHED,
    CANCELED,
    COMPLETE,
    DONE_STATES,
    FAILED,
    RUNNING,
    ExecutionRecord,
    GraphNode,
    NodeExecution,
    RunRecord,
)
from headrace.metadata.retry import retry_seconds
from headrace.metadata.store import Store
from headrace.metadata.urls import PASSWORD_ENV, MetadataUrl, default_url, parse

__all__ = [
    "CACHED",
    "CANCELED",
    "COMPLETE",
    "DONE_STATES",
    "FAILED",
    "PASSWORD_ENV",
    "RUNNING",
    "ExecutionRecord",
    "GraphNode",
    "MetadataUrl",
    "NodeExecution",
    "RunRecord",
    "Store",
    "default_url",
    "open_store",
    "parse",
    "retry_seconds",
]
