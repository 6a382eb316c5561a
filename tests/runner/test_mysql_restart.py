"""MariaDB restarted in the middle of a run (a private server: tests.support.mariadb_server):
the run finishes, nothing is left RUNNING, nothing is recorded twice or half."""

from __future__ import annotations

import glob
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from headrace.metadata import open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")
NODES = {"produce", "count_a", "count_b", "train"}


def _count(server, database: str, table: str) -> int:
    return int(server.sql(f"SELECT COUNT(*) FROM `{database}`.`{table}`").strip())


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolate"])
def test_a_server_restart_mid_run_is_ridden_out(private_mariadb, tmp_path, isolate):
    server = private_mariadb
    database = f"headrace_restart_{secrets.token_hex(3)}"
    url = server.url(database)
    root = str(tmp_path / "root")
    command = [sys.executable, "-m", "headrace", "run", DEMO, "--root", root, "--metadata", url]
    proc = subprocess.Popen(
        command + (["--isolate"] if isolate else []),
        env={**os.environ, "HEADRACE_DEMO_SLEEP": "2", "HEADRACE_MYSQL_PASSWORD": "headrace-test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 120
    while not glob.glob(f"{root}/demo/produce/examples/*/data.txt") and time.time() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.05)
    # `produce` is half way through its rows: take the server away while it works, so that
    # it publishes (and the next nodes start) while the server is down or just back.
    server.stop()
    time.sleep(3.5)
    server.start()
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out

    store = open_store(url)
    [run] = store.list_runs("demo")
    executions = store.get_run(run.run_id).executions
    assert [e.state for e in executions if e.state not in ("COMPLETE", "CACHED")] == []
    assert sorted(e.node_id for e in executions) == sorted(NODES)  # each node once
    # Exactly one artifact per output, one output event each and one input event per input
    # edge (count_a, count_b: 1; train: 3): nothing published twice, nothing half-written.
    assert _count(server, database, "Artifact") == 4
    assert _count(server, database, "Event") == 4 + 5
    assert _count(server, database, "Execution") == 4


def test_a_store_opened_while_the_server_restarts_is_never_called_a_refused_login(
    private_mariadb, monkeypatch
):
    """Opening a store in the moments a server shuts down: the port still answers the probe
    and the login then fails with an empty message. That is a restart (a retryable
    MetadataConnectionError), never MetadataAccessDenied (a wrong password, not retried)."""
    from headrace.errors import MetadataAccessDenied, MetadataConnectionError

    server = private_mariadb
    url = server.url(f"headrace_reopen_{secrets.token_hex(3)}")
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "headrace-test")
    open_store(url)  # creates the schema
    outcomes: dict[str, int] = {"opened": 0, "unreachable": 0}
    for _ in range(3):
        # Now and then a shutdown under a stream of logins hangs; a kill then ends it.
        stopper = threading.Thread(target=server.stop, kwargs={"timeout": 8})
        stopper.start()
        while stopper.is_alive():
            try:
                open_store(url)
                outcomes["opened"] += 1
            except MetadataAccessDenied as exc:
                pytest.fail(f"a restarting server was called a refused login: {exc}")
            except MetadataConnectionError:
                outcomes["unreachable"] += 1
            time.sleep(0.02)  # a flood of logins can keep MariaDB from finishing its shutdown
        server.start()
    assert outcomes["unreachable"] > 0, outcomes  # the loop did meet the server going away
    open_store(url)


def test_a_step_waits_for_a_store_being_restarted_and_a_terminal_does_not(
    private_mariadb, monkeypatch
):
    """A step (the entrypoint) opening its store while the server is down waits for it
    (wait_seconds) instead of spending its Argo retries; `headrace run` at a terminal is told
    at once that nothing listens."""
    from headrace.errors import MetadataConnectionError

    server = private_mariadb
    url = server.url(f"headrace_wait_{secrets.token_hex(3)}")
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "headrace-test")
    open_store(url)
    server.stop()
    started = time.monotonic()
    with pytest.raises(MetadataConnectionError, match="nothing accepts connections"):
        open_store(url)
    assert time.monotonic() - started < 2
    restarter = threading.Timer(3.0, server.start)
    restarter.start()
    started = time.monotonic()
    try:
        open_store(url, wait_seconds=60)
    finally:
        restarter.join()
    waited = time.monotonic() - started
    assert 3.0 <= waited < 30, waited
    server.stop()
    started = time.monotonic()
    with pytest.raises(MetadataConnectionError, match="nothing accepts connections"):
        open_store(url, wait_seconds=1.5)  # a server that stays away still ends the wait
    assert 1.5 <= time.monotonic() - started < 10
    server.start()
