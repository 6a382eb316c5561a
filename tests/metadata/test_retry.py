"""Which MLMD errors are retried: the transient ones SQLite and MySQL really raise, and no other."""

from __future__ import annotations

import pytest
from ml_metadata import errors as mlmd_errors

from headrace.metadata.retry import is_transient, retrying


@pytest.mark.parametrize(
    "error",
    [
        # What MLMD 1.16 raised when four processes created the schema of one SQLite file at once.
        RuntimeError("Concurrent writes aborted after max number of retries."),
        RuntimeError("database is locked"),
        mlmd_errors.InternalError("mysql_query failed: Deadlock found when trying to get lock"),
        mlmd_errors.AbortedError("aborted"),
    ],
)
def test_transient_errors_are_retried(error):
    assert is_transient(error)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise error
        return "done"

    assert retrying(flaky, base_delay=0.001) == "done" and len(calls) == 3


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("no such table: Artifact"),
        mlmd_errors.InvalidArgumentError("bad type"),
        ValueError("database is locked"),  # not raised by MLMD
    ],
)
def test_other_errors_fail_at_once(error):
    assert not is_transient(error)
    with pytest.raises(type(error)):
        retrying(lambda: (_ for _ in ()).throw(error), base_delay=0.001)


def test_a_server_that_went_away_is_waited_for_only_once_the_store_was_open():
    gone = mlmd_errors.InternalError("mysql_real_connect failed: errno: , error: ")
    # Opening: the same text means a wrong password as often as a stopped server.
    assert not is_transient(gone)
    assert is_transient(gone, reconnecting=True)
    calls = []

    def down_for_a_while():
        calls.append(1)
        if len(calls) < 12:  # more tries than `attempts` allows: the deadline decides
            raise gone
        return "back"

    assert retrying(down_for_a_while, base_delay=0.001, seconds=5, reconnecting=True) == "back"
    with pytest.raises(mlmd_errors.InternalError):
        retrying(lambda: (_ for _ in ()).throw(gone), seconds=0.2, reconnecting=True)


def test_a_write_whose_commit_was_not_acknowledged_is_not_made_twice(sqlite_url):
    """The connection drops after MySQL committed put_execution: the retry finds the write
    by its token instead of recording a second execution with its own artifacts."""
    from headrace.metadata import NodeExecution, open_store
    from headrace.types import Examples

    store = open_store(sqlite_url)
    real_put = store._raw.put_execution
    lost = []

    def put_then_lose_the_reply(*args, **kwargs):
        result = real_put(*args, **kwargs)  # committed
        if not lost:
            lost.append(1)
            raise mlmd_errors.InternalError("mysql_query failed: Lost connection to MySQL server")
        return result

    store._raw.put_execution = put_then_lose_the_reply
    who = NodeExecution(pipeline="p", run_id="r", node_id="n", component="c", cache_key="k")
    execution_id = store.start_execution(who, {})
    lost.clear()
    store.publish(execution_id, {"examples": [Examples(uri="/tmp/x")]})
    [record] = store.run_executions("p", "r")
    assert record.id == execution_id and record.state == "COMPLETE"
    assert len(store._raw.get_artifacts()) == 1
    assert len(store._raw.get_executions()) == 1
