"""The run's DAG as ML Metadata keeps it: recorded by whoever starts a run's nodes (the local
runner, every compiled step) so a report can draw nodes that never ran."""

from __future__ import annotations

from headrace.ir import PipelineIR
from headrace.metadata import GraphNode, Store


def graph_of(ir: PipelineIR) -> tuple[GraphNode, ...]:
    return tuple(
        GraphNode(id=n.id, component=n.component, upstream=n.upstream, kind=n.kind)
        for n in ir.nodes
    )


def record_run_graph(store: Store, ir: PipelineIR, run_id: str) -> None:
    """Idempotent: a step that finds the same graph recorded writes nothing."""
    store.record_run_graph(ir.name, run_id, graph_of(ir))
