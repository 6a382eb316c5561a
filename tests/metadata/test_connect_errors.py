"""An MLMD connection that fails says which of DNS, a stopped server, a refused login or a
database without rights it was, fast, with an exit code that Argo retries only where a retry
can help."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.entrypoint.main import main
from headrace.errors import MetadataAccessDenied, MetadataConnectionError
from headrace.ir import build
from headrace.launcher import exit_codes
from headrace.metadata import open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: nothing listens


def test_server_down_is_named_fast():
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(
        MetadataConnectionError,
        match=rf"nothing accepts connections on "
        rf"127\.0\.0\.1:{port} \(Connection refused\)\. The server is not running",
    ):
        open_store(f"mysql://headrace@127.0.0.1:{port}/headrace_x")
    assert time.monotonic() - started < 1


def test_a_host_name_no_resolver_could_look_up():
    with pytest.raises(
        MetadataConnectionError,
        match=r"host name 'db\.\.example' does not "
        r"resolve \(not a valid host name",
    ):
        open_store("mysql://headrace@db..example:3306/headrace_x")


@pytest.mark.skipif(
    shutil.which("unshare") is None and os.environ.get("HEADRACE_REQUIRE_ROOT_TOOLS") != "1",
    reason="needs unshare(1) (util-linux)",
)
def test_dns_failure_is_told_apart_in_a_network_namespace_of_its_own():
    """A real resolver failure, with no packet leaving: a new network namespace has no route."""
    code = (
        "from headrace.metadata import open_store\n"
        "open_store('mysql://headrace@mysql.headrace.svc.cluster.local:3306/metadb')\n"
    )
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    if "unshare failed" in done.stderr:
        message = f"cannot make a network namespace here: {done.stderr.strip()}"
        if os.environ.get("HEADRACE_REQUIRE_ROOT_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert "host name 'mysql.headrace.svc.cluster.local' does not resolve" in done.stderr
    assert "Service's name" in done.stderr and "mysql_native_password" not in done.stderr


def test_wrong_password_is_told_apart_and_not_retried(mysql_available, monkeypatch):
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "wrong-password")
    with pytest.raises(
        MetadataAccessDenied,
        match=r"\(10\.11[^)]*MariaDB[^)]*\) answers but "
        r"refused the login of user 'headrace': the password in "
        r"HEADRACE_MYSQL_PASSWORD \(set\) is wrong",
    ):
        open_store("mysql://headrace@127.0.0.1:3306/headrace_nope")


def test_a_database_without_rights_is_named(mysql_available):
    with pytest.raises(
        MetadataAccessDenied,
        match=r"let user 'headrace' in but not into "
        r"database 'not_ours'.*headrace\*",
    ):
        open_store("mysql://headrace@127.0.0.1:3306/not_ours")


def test_a_port_of_another_service_is_named(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        # An HTTP-ish service: it waits for the client to speak first, then closes.
        with pytest.raises(MetadataConnectionError, match=rf"127\.0\.0\.1:{port}"):
            open_store(f"mysql://headrace@127.0.0.1:{port}/headrace_x")


@pytest.fixture
def ir_file(tmp_path):
    path = tmp_path / "ir.json"
    path.write_text(build(import_file(DEMO).make_pipeline(rows=3)).to_json())
    return str(path)


def _step(ir_file, url, root):
    return main(
        [
            "--ir",
            ir_file,
            "--node",
            "produce",
            "--run-id",
            "wf-1",
            "--metadata",
            url,
            "--root",
            str(root),
        ]
    )


def test_a_step_exits_retryable_for_a_server_that_is_down(ir_file, tmp_path, capsys):
    port = _closed_port()
    code = _step(ir_file, f"mysql://headrace@127.0.0.1:{port}/headrace_x", tmp_path)
    assert code == exit_codes.INFRA_ERROR and code in exit_codes.RETRYABLE
    assert "nothing accepts connections" in capsys.readouterr().err


def test_a_step_exits_not_retryable_for_a_wrong_password(
    ir_file, tmp_path, capsys, mysql_available, monkeypatch
):
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "wrong-password")
    code = _step(ir_file, "mysql://headrace@127.0.0.1:3306/headrace_x", tmp_path)
    assert code == exit_codes.USER_ERROR and code not in exit_codes.RETRYABLE
    assert "refused the login of user 'headrace'" in capsys.readouterr().err


def test_headrace_run_says_it_once_and_exits_retryable(tmp_path):
    port = _closed_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "run",
            DEMO,
            "--root",
            str(tmp_path),
            "--metadata",
            f"mysql://headrace@127.0.0.1:{port}/headrace_x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == exit_codes.INFRA_ERROR, done.stderr
    assert done.stderr.count("nothing accepts connections") == 1
    assert "Traceback" not in done.stderr and "mysql_native_password" not in done.stderr


def test_a_server_that_refuses_this_host_is_named():
    """MySQL greets a host it will not serve with an error packet (1130) instead of a
    handshake; a real socket here sends exactly that."""
    import threading

    message = b"Host '10.1.2.3' is not allowed to connect to this MariaDB server"
    payload = b"\xff" + (1130).to_bytes(2, "little") + message
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def greet():
            conn, _ = server.accept()
            with conn:
                conn.sendall(len(payload).to_bytes(3, "little") + b"\x00" + payload)

        threading.Thread(target=greet, daemon=True).start()
        with pytest.raises(MetadataAccessDenied, match=r"refuses connections from this machine "
                           r"\(1130: Host '10\.1\.2\.3' is not allowed"):
            open_store(f"mysql://headrace@127.0.0.1:{port}/headrace_x")
