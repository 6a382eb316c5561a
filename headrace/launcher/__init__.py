"""Executing one node: `launch()` = driver -> executor -> publisher over ML Metadata."""

from headrace.launcher.driver import check_runtime_values
from headrace.launcher.launch import (
    CACHED,
    DONE_BEFORE,
    EXECUTED,
    RESOLVED,
    LaunchResult,
    launch,
    output_uri,
    remove_outputs,
)
from headrace.launcher.run_graph import record_run_graph

__all__ = [
    "CACHED",
    "DONE_BEFORE",
    "EXECUTED",
    "RESOLVED",
    "LaunchResult",
    "check_runtime_values",
    "launch",
    "output_uri",
    "record_run_graph",
    "remove_outputs",
]
