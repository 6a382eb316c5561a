"""A run's DAG and the cache reasons are kept in ML Metadata, on every backend."""

from __future__ import annotations

from headrace.metadata import GraphNode, NodeExecution, open_store
from headrace.types import Examples

GRAPH = (
    GraphNode(id="gen", component="Gen"),
    GraphNode(id="train", component="Train", upstream=("gen",)),
    GraphNode(id="push", component="Push", upstream=("train",)),
)


def test_the_run_graph_survives_executions_recorded_after_it(store_url):
    store = open_store(store_url)
    # Another process (a compiled step) caches the run context before the graph is written.
    other = open_store(store_url)
    who = NodeExecution(pipeline="p", run_id="r1", node_id="gen", component="Gen", cache_key="k")
    gen = other.start_execution(who, {}, reason="no earlier execution with cache key k")
    store.record_run_graph("p", "r1", GRAPH)
    other.publish(gen, {"examples": [Examples("/data/gen")]})
    train = NodeExecution(pipeline="p", run_id="r1", node_id="train", component="Train")
    other.record_reused(train, {}, {}, cached_from=gen, reason="same cache key")

    run = open_store(store_url).get_run("r1")
    assert run.graph == GRAPH
    assert [(e.node_id, e.cache_reason) for e in run.executions] == [
        ("gen", "no earlier execution with cache key k"),
        ("train", "same cache key"),
    ]
    # Recording it again (every compiled step does) changes nothing; a resumed run whose
    # pipeline changed replaces it.
    store.record_run_graph("p", "r1", GRAPH)
    assert open_store(store_url).get_run("r1").graph == GRAPH
    store.record_run_graph("p", "r1", GRAPH[:2])
    assert open_store(store_url).get_run("r1").graph == GRAPH[:2]


def test_a_run_without_a_recorded_graph_has_none(sqlite_url):
    store = open_store(sqlite_url)
    who = NodeExecution(pipeline="p", run_id="r2", node_id="gen", component="Gen")
    store.start_execution(who, {})
    assert store.get_run("r2").graph == ()
