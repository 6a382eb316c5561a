"""InteractiveContext: run one component at a time (in a notebook) and look at its artifacts."""

from headrace.interactive.context import InteractiveContext
from headrace.interactive.result import ExecutionResult

__all__ = ["ExecutionResult", "InteractiveContext"]
