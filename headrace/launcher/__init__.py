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
)

__all__ = [
    "CACHED",
    "DONE_BEFORE",
    "EXECUTED",
    "RESOLVED",
    "LaunchResult",
    "check_runtime_values",
    "launch",
    "output_uri",
]
