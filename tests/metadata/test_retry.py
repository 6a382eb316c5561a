"""Which MLMD errors are retried: the transient ones SQLite and MySQL really raise, and no other."""

from __future__ import annotations

import pytest
from ml_metadata import errors as mlmd_errors

from headrace.metadata.retry import is_transient, retrying


@pytest.mark.parametrize("error", [
    # What MLMD 1.16 raised when four processes created the schema of one SQLite file at once.
    RuntimeError("Concurrent writes aborted after max number of retries."),
    RuntimeError("database is locked"),
    mlmd_errors.InternalError("mysql_query failed: Deadlock found when trying to get lock"),
    mlmd_errors.AbortedError("aborted"),
])
def test_transient_errors_are_retried(error):
    assert is_transient(error)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise error
        return "done"

    assert retrying(flaky, base_delay=0.001) == "done" and len(calls) == 3


@pytest.mark.parametrize("error", [
    RuntimeError("no such table: Artifact"),
    mlmd_errors.InvalidArgumentError("bad type"),
    ValueError("database is locked"),  # not raised by MLMD
])
def test_other_errors_fail_at_once(error):
    assert not is_transient(error)
    with pytest.raises(type(error)):
        retrying(lambda: (_ for _ in ()).throw(error), base_delay=0.001)
