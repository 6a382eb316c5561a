"""`ExecutionContext`: what a component may ask to know about the execution it runs in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ExecutionContext:
    """Declare an argument of this type to receive it (e.g. Beam arguments for a Beam job)."""

    pipeline: str
    pipeline_root: str
    run_id: str
    node_id: str
    execution_id: int
    beam_args: tuple[str, ...]
    temp_dir: str  # scratch space, removed after the execution
