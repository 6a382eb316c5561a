"""What the metadata layer hands back: plain records of runs and executions."""

from __future__ import annotations

from dataclasses import dataclass, field

from headrace.types.artifact import Artifact

# Execution states, as MLMD names them. CACHED executions point at a COMPLETE one's outputs.
RUNNING, COMPLETE, CACHED, FAILED, CANCELED = "RUNNING", "COMPLETE", "CACHED", "FAILED", "CANCELED"
DONE_STATES = (COMPLETE, CACHED)


@dataclass(frozen=True, kw_only=True)
class NodeExecution:
    """Who an execution is: which node of which run of which pipeline, and its cache key."""

    pipeline: str
    run_id: str
    node_id: str
    component: str
    cache_key: str = ""


@dataclass(frozen=True, kw_only=True)
class ExecutionRecord:
    id: int
    pipeline: str
    run_id: str
    node_id: str
    component: str
    state: str
    cache_key: str
    started_ms: int
    updated_ms: int
    error: str = ""
    cached_from: int | None = None
    cache_reason: str = ""  # why the driver reused or did not reuse an earlier result
    summary_uri: str = ""  # the node's HTML summary page (a cache hit points at the reused one's)
    cache_parts: dict[str, str] = field(default_factory=dict)  # digest of each part of its key
    # What its attempt had and how its process ended, when a cluster step recorded them: Argo's
    # retry number (0-based), the container's memory limit (bytes), the exit code.
    attempt: int | None = None
    memory_limit: int | None = None
    exit_code: int | None = None
    inputs: dict[str, list[Artifact]] = field(default_factory=dict)
    outputs: dict[str, list[Artifact]] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return max(0, self.updated_ms - self.started_ms) / 1000


@dataclass(frozen=True, kw_only=True)
class GraphNode:
    """A node of a run's pipeline as recorded when the run started, so that a run's DAG can be
    drawn whole, including nodes that never ran (an upstream node failed)."""

    id: str
    component: str
    upstream: tuple[str, ...] = ()
    kind: str = "component"


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    run_id: str
    pipeline: str
    created_ms: int
    executions: tuple[ExecutionRecord, ...] = ()
    graph: tuple[GraphNode, ...] = ()  # empty when the run's starter recorded none (older runs)
