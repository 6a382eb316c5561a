"""ML Metadata: the only package that imports ml_metadata. Open a store with `open_store(url)`."""

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
]
