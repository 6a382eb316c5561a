"""The metadata facade on SQLite, the real MariaDB server and real gRPC."""

from __future__ import annotations

import subprocess
import sys

import pytest

from headrace.errors import MetadataConnectionError
from headrace.metadata import CACHED, COMPLETE, FAILED, RUNNING, NodeExecution, open_store
from headrace.types import Examples, Model
from tests.support import store_workers
from tests.support.store_workers import produce


def test_execution_lifecycle_round_trips_artifacts_and_properties(store_url):
    store = open_store(store_url)
    eid, out = produce(store)
    [examples] = out["examples"]
    assert examples.id is not None and examples.uri == "/data/x"
    assert examples.properties == {"span": 3, "rows": 10}
    assert examples.span == 3  # declared property, attribute access as in TFX

    train = store.start_execution(
        NodeExecution(
            pipeline="p", run_id="r1", node_id="train", component="Train", cache_key="k2"
        ),
        out,
    )
    assert store.run_executions("p", "r1", "train")[0].state == RUNNING
    store.finish(train, FAILED, "boom")
    [failed] = store.run_executions("p", "r1", "train")
    assert failed.state == FAILED and failed.error == "boom"
    assert failed.inputs["examples"][0].id == examples.id
    assert failed.outputs == {}

    result = store.node_result("p", "r1", "gen")
    assert result.id == eid and result.state == COMPLETE


def test_publish_is_idempotent(sqlite_url):
    store = open_store(sqlite_url)
    eid, first = produce(store)
    again = store.publish(eid, {"examples": [Examples("/other")]})
    assert [a.id for a in again["examples"]] == [a.id for a in first["examples"]]
    assert len(store.run_executions("p", "r1")[0].outputs["examples"]) == 1


def test_cache_lookup_is_scoped_to_the_pipeline_and_complete_executions(sqlite_url):
    store = open_store(sqlite_url)
    eid, out = produce(store, key="same")
    assert [r.id for r in store.find_cached("p", "Gen", "same")] == [eid]
    assert store.find_cached("other-pipeline", "Gen", "same") == []
    assert store.find_cached("p", "OtherComponent", "same") == []
    running = store.start_execution(
        NodeExecution(pipeline="p", run_id="r2", node_id="gen", component="Gen", cache_key="same"),
        {},
    )
    assert running not in [r.id for r in store.find_cached("p", "Gen", "same")]
    source = store.find_cached("p", "Gen", "same")[0]
    who = NodeExecution(pipeline="p", run_id="r3", node_id="gen", component="Gen", cache_key="same")
    cached = store.record_reused(who, {}, source.outputs, cached_from=source.id)
    record = store.node_result("p", "r3", "gen")
    assert record.id == cached and record.state == CACHED and record.cached_from == eid
    assert record.outputs["examples"][0].id == out["examples"][0].id


def test_runs_are_listed_newest_first_with_their_executions(sqlite_url):
    store = open_store(sqlite_url)
    produce(store, run_id="first")
    produce(store, run_id="second")
    assert {r.run_id for r in store.list_runs()} == {"first", "second"}
    assert store.list_runs("nope") == []
    run = store.get_run("second")
    assert run.pipeline == "p" and [e.node_id for e in run.executions] == ["gen"]
    assert store.get_run("missing") is None


def test_struct_and_bool_properties(sqlite_url):
    store = open_store(sqlite_url)
    eid = store.start_execution(
        NodeExecution(pipeline="p", run_id="r", node_id="t", component="T", cache_key="k"), {}
    )
    props = {"blessed": True, "config": {"a": "b"}, "names": ["x", "y"], "lr": 0.5}
    [model] = store.publish(eid, {"model": [Model("/m", props)]})["model"]
    assert model.properties == props


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_many_processes_register_the_same_types_and_contexts_at_once(backend, request):
    url = request.getfixturevalue(f"{backend}_url")
    worker = [sys.executable, store_workers.__file__, url, "5"]
    procs = [subprocess.Popen(worker, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    store = open_store(url)
    runs = store.list_runs("p")
    assert len(runs) == 20
    assert all(len(store.get_run(r.run_id).executions) == 1 for r in runs)


def test_mysql_connection_failure_says_what_to_check(mysql_available, monkeypatch):
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "wrong-password")
    with pytest.raises(
        MetadataConnectionError, match=r"(?s)refused the login of user 'headrace'.*password"
    ):
        open_store("mysql://headrace@127.0.0.1:3306/headrace_nope")


def test_unreachable_grpc_server_is_named():
    with pytest.raises(MetadataConnectionError, match=r"127\.0\.0\.1:1.*metadata-grpc-service"):
        open_store("grpc://127.0.0.1:1")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("postgres://x@h/db", "Unsupported metadata URL"),
        ("mysql://127.0.0.1:3306/db", "must name a user and a database"),
        ("mysql://u:secret@127.0.0.1/db", "password in it"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_urls(url, match):
    with pytest.raises(MetadataConnectionError, match=match):
        open_store(url)


def test_unwritable_sqlite_location_is_explained():
    with pytest.raises(MetadataConnectionError, match="Cannot open the SQLite metadata store"):
        open_store("sqlite:///proc/no-such-dir/metadata.sqlite")


def test_a_process_without_the_artifact_class_cannot_change_what_was_recorded(sqlite_url):
    """An isolated node or cluster step resolves inputs before importing the component, so
    its artifacts are generic; recording them as inputs must leave typed properties typed."""
    from headrace.types import Artifact

    class Line(Artifact):
        TYPE_NAME = "FittedLine"
        PROPERTIES = {"slope": float}

    class Generic(Artifact):  # what artifact_class() gives a process that never saw Line
        TYPE_NAME = "FittedLine"

    store = open_store(sqlite_url)
    who = NodeExecution(pipeline="p", run_id="r1", node_id="fit", component="Fit")
    fit = store.start_execution(who, {})
    [line] = store.publish(fit, {"line": [Line("/data/line", {"slope": 2.5})]})["line"]
    for run_id in ("r2", "r3"):  # the second writer is the one that used to drop the value
        use = NodeExecution(pipeline="p", run_id=run_id, node_id="use", component="Use")
        generic = Generic(line.uri, dict(line.properties), id=line.id)
        store.start_execution(use, {"line": [generic]})
    [again] = store.node_result("p", "r1", "fit").outputs["line"]
    assert again.properties == {"slope": 2.5}
    [proto] = store._raw.get_artifacts_by_id([line.id])
    assert proto.properties["slope"].double_value == 2.5 and "slope" not in proto.custom_properties


def test_an_attempts_memory_limit_and_exit_code_round_trip(store_url):
    # 8Gi does not fit MLMD's 32-bit int column on MySQL; the store keeps it as text there.
    store = open_store(store_url)
    who = NodeExecution(pipeline="p", run_id="r", node_id="n", component="C")
    first = store.start_execution(who, {}, attempt={"attempt": 0, "memory_limit": 8 * 2**30})
    store.finish(first, FAILED, "killed", exit_code=137)
    store.start_execution(who, {}, attempt={"attempt": 1, "memory_limit": 256 * 2**20})
    recorded = store.run_executions("p", "r", "n")
    assert [(e.attempt, e.memory_limit, e.exit_code) for e in recorded] == [
        (0, 8 * 2**30, 137), (1, 256 * 2**20, None)]
