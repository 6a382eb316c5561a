"""What a run report shows, read from ML Metadata: the run's nodes in DAG order, each with its
state, its last execution in the run and the attempts before it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from headrace.metadata import (
    CACHED,
    CANCELED,
    COMPLETE,
    FAILED,
    RUNNING,
    ExecutionRecord,
    GraphNode,
    RunRecord,
)

# A node's state in the report (also its CSS class `state-<name>` and its colour).
STATES = ("complete", "cached", "resolved", "failed", "running", "canceled", "not-run")
_BY_MLMD = {COMPLETE: "complete", FAILED: "failed", RUNNING: "running", CANCELED: "canceled"}
# Where the DAG came from: recorded when the run started, or rebuilt from MLMD's events.
RECORDED, LINEAGE = "recorded", "lineage"


@dataclass(frozen=True, kw_only=True)
class NodeView:
    id: str
    component: str
    upstream: tuple[str, ...]
    state: str  # one of STATES
    execution: ExecutionRecord | None  # the node's last execution in this run
    earlier: tuple[ExecutionRecord, ...] = ()  # attempts before it (a resumed run)
    blocked_by: tuple[str, ...] = ()  # for a node that did not run: upstream nodes not done

    @property
    def cache_hit(self) -> bool:
        return self.state == "cached"

    @property
    def seconds(self) -> float | None:
        return None if self.execution is None else self.execution.seconds

    @property
    def outcome(self) -> str:
        """What happened, in a few words."""
        e = self.execution
        if e is None:
            waits = ", ".join(self.blocked_by)
            return f"not run: upstream {waits} did not complete" if waits else "not run"
        if self.state == "cached":
            return f"cache hit: outputs of execution {e.cached_from}"
        if self.state == "resolved":
            return "resolved from ML Metadata"
        if self.state == "complete":
            return "executed"
        if self.state == "running":
            return "running (or its process stopped before publishing)"
        return self.state

    @property
    def error_line(self) -> str:
        e = self.execution
        return e.error.strip().splitlines()[0] if e is not None and e.error.strip() else ""


@dataclass(frozen=True, kw_only=True)
class RunView:
    run_id: str
    pipeline: str
    created_ms: int
    metadata_url: str
    nodes: tuple[NodeView, ...]  # topological order
    graph_source: str  # RECORDED | LINEAGE

    @property
    def status(self) -> str:
        states = {n.state for n in self.nodes}
        if "failed" in states:
            return "failed"
        if states <= {"complete", "cached", "resolved"} and self.nodes:
            return "succeeded"
        return "incomplete"

    @property
    def seconds(self) -> float:
        done = [n.execution for n in self.nodes if n.execution is not None]
        done += [e for n in self.nodes for e in n.earlier]
        if not done:
            return 0.0
        return max(0, max(e.updated_ms for e in done) - min(e.started_ms for e in done)) / 1000

    def counts(self) -> dict[str, int]:
        return {s: sum(n.state == s for n in self.nodes) for s in STATES}


def run_view(record: RunRecord, metadata_url: str) -> RunView:
    graph, source = (record.graph, RECORDED) if record.graph else (_lineage(record), LINEAGE)
    by_node: dict[str, list[ExecutionRecord]] = defaultdict(list)
    for e in record.executions:  # oldest first
        by_node[e.node_id].append(e)
    known = {n.id for n in graph}
    # Executions of nodes the recorded graph lacks (the pipeline changed on resume) still show.
    extra = [
        GraphNode(id=node_id, component=runs[-1].component)
        for node_id, runs in by_node.items()
        if node_id not in known
    ]
    states: dict[str, str] = {}
    nodes = []
    for g in (*graph, *extra):
        runs = by_node.get(g.id, [])
        state = _state(runs[-1]) if runs else "not-run"
        states[g.id] = state
        blocked = tuple(
            u for u in g.upstream if states.get(u) not in ("complete", "cached", "resolved")
        )
        nodes.append(
            NodeView(
                id=g.id,
                component=runs[-1].component if runs else g.component,
                upstream=g.upstream,
                state=state,
                execution=runs[-1] if runs else None,
                earlier=tuple(runs[:-1]),
                blocked_by=blocked if not runs else (),
            )
        )
    return RunView(
        run_id=record.run_id,
        pipeline=record.pipeline,
        created_ms=record.created_ms,
        metadata_url=metadata_url,
        nodes=tuple(nodes),
        graph_source=source,
    )


def _state(e: ExecutionRecord) -> str:
    if e.state == CACHED:
        # A resolver's outputs are found, not reused from an execution with the same key.
        return "cached" if e.cached_from is not None else "resolved"
    return _BY_MLMD.get(e.state, e.state.lower())


def _lineage(record: RunRecord) -> tuple[GraphNode, ...]:
    """The DAG as MLMD's events tell it (runs recorded before the graph was, or by other
    tools): a node consumed an artifact that a node of this run output. Nodes that never ran
    are missing from it; the report says so."""
    producers: dict[int, set[str]] = defaultdict(set)
    components: dict[str, str] = {}
    for e in record.executions:
        components.setdefault(e.node_id, e.component)
        for artifacts in e.outputs.values():
            for a in artifacts:
                if a.id is not None:
                    producers[a.id].add(e.node_id)
    upstream: dict[str, set[str]] = {n: set() for n in components}
    for e in record.executions:
        for artifacts in e.inputs.values():
            for a in artifacts:
                if a.id is not None:
                    upstream[e.node_id] |= producers.get(a.id, set()) - {e.node_id}
    return tuple(
        GraphNode(id=n, component=components[n], upstream=tuple(sorted(upstream[n])))
        for n in _topological(upstream)
    )


def _topological(upstream: dict[str, set[str]]) -> Sequence[str]:
    """Nodes by depth, then by name (Kahn's algorithm; a cycle cannot come from MLMD events of
    one run, but if one did, its nodes are appended rather than lost)."""
    order: list[str] = []
    placed: set[str] = set()
    while len(placed) < len(upstream):
        ready = sorted(n for n, ups in upstream.items() if n not in placed and ups <= placed)
        if not ready:
            ready = sorted(set(upstream) - placed)
        order += ready
        placed |= set(ready)
    return order
