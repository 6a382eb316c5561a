"""Shared fixtures: metadata stores on SQLite, on the real MariaDB server, and over real gRPC."""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

# A MariaDB server a test may stop and start (never the shared one): `private_mariadb`.
pytest_plugins = ["tests.support.mariadb_server"]

MYSQL_HOST = os.environ.get("HEADRACE_TEST_MYSQL_HOST", "127.0.0.1:3306")
MYSQL_USER = os.environ.get("HEADRACE_TEST_MYSQL_USER", "headrace")
os.environ.setdefault("HEADRACE_MYSQL_PASSWORD", "headrace-test")
# CI sets this so that an unreachable server fails the MySQL tests instead of skipping them.
REQUIRE_MYSQL = os.environ.get("HEADRACE_REQUIRE_MYSQL") == "1"


def _mariadb(sql: str) -> subprocess.CompletedProcess[str]:
    host, _, port = MYSQL_HOST.partition(":")
    return subprocess.run(
        ["mariadb", f"-u{MYSQL_USER}", f"-h{host}", f"-P{port or 3306}", "-e", sql],
        env={**os.environ, "MYSQL_PWD": os.environ["HEADRACE_MYSQL_PASSWORD"]},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def mysql_available() -> None:
    try:
        done = _mariadb("SELECT 1")
        ok, why = done.returncode == 0, done.stderr.strip()
    except FileNotFoundError:
        ok, why = False, "the mariadb client is not installed"
    if not ok:
        message = f"MySQL test server unreachable ({why}); run scripts/setup-mysql.sh"
        if REQUIRE_MYSQL:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def mysql_url(mysql_available: None):
    """A fresh MySQL database for one test, dropped afterwards."""
    database = f"headrace_test_{secrets.token_hex(4)}"
    yield f"mysql://{MYSQL_USER}@{MYSQL_HOST}/{database}"
    _mariadb(f"DROP DATABASE IF EXISTS {database}")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite://{tmp_path}/metadata.sqlite"


@pytest.fixture
def grpc_url(tmp_path):
    from tests.support.mlmd_grpc_server import serve

    server, port = serve(str(tmp_path / "grpc-backing.sqlite"))
    yield f"grpc://127.0.0.1:{port}"
    server.stop(grace=None)


@pytest.fixture(params=["sqlite", "mysql", "grpc"])
def store_url(request) -> str:
    """The same test on every metadata backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium (tests.support.chromium); skips without it unless CI requires it."""
    from tests.support import chromium as browser

    path = browser.find()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if browser.REQUIRE_CHROMIUM:
            pytest.fail(message)
        pytest.skip(message)
    return browser.Chromium(path)
