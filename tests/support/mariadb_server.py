"""A private MariaDB server for tests that stop and start it: its own datadir, port and socket.

The shared server on 3306 is never touched. `mariadb-install-db` initialises the datadir once
(about 2 s); `stop()` and `start()` restart the same server on the same port, which is what a
test of a database restart in the middle of a run needs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import pytest

USER, PASSWORD = "headrace", "headrace-test"


def available() -> str:
    """ "" if a private server can be started here, else why not."""
    for tool in ("mariadbd", "mariadb-install-db", "mariadb"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} is not installed (apt-get install mariadb-server)"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mariadbd() -> str:
    return shutil.which("mariadbd") or "/usr/sbin/mariadbd"


@dataclass(kw_only=True)
class MariaDBServer:
    base: str
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> str:
        return os.path.join(self.base, "data")

    @property
    def socket_path(self) -> str:
        return os.path.join(self.base, "mysqld.sock")

    @property
    def log_path(self) -> str:
        return os.path.join(self.base, "error.log")

    def url(self, database: str) -> str:
        return f"mysql://{USER}@127.0.0.1:{self.port}/{database}"

    def _user_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told which user to become.
        return ["--user=mysql"] if os.geteuid() == 0 else []

    def initialise(self) -> None:
        os.makedirs(self.datadir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "mysql", "mysql")
            shutil.chown(self.datadir, "mysql", "mysql")
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                *self._user_args(),
            ],
            check=True,
            capture_output=True,
        )
        self.start()
        self.sql(
            f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}';"
            f"CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}';"
            f"GRANT ALL ON `headrace%`.* TO '{USER}'@'%';"
            f"GRANT ALL ON `headrace%`.* TO '{USER}'@'localhost';"
        )

    def start(self, timeout: float = 30.0) -> None:
        assert self.process is None, "already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    _mariadbd(),
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket_path}",
                    f"--pid-file={os.path.join(self.base, 'mysqld.pid')}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                    # Small and fast: a test server holds a few MB.
                    "--innodb-buffer-pool-size=16M",
                    "--innodb-log-file-size=8M",
                    "--skip-log-bin",
                    *self._user_args(),
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {self.log_tail()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"mariadbd not up on port {self.port} in {timeout}s: {self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> None:
        """A clean shutdown (SIGTERM, as a service manager restarting it sends); killed after
        `timeout` seconds."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def sql(self, statement: str) -> str:
        done = subprocess.run(
            [
                "mariadb",
                "--no-defaults",
                "-uroot",
                f"--socket={self.socket_path}",
                "-N",
                "-e",
                statement,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"SQL failed: {statement}: {done.stderr}")
        return done.stdout

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def new_server() -> MariaDBServer:
    # Not under pytest's tmp_path: its parents are private to root, and mariadbd runs as mysql.
    server = MariaDBServer(base=tempfile.mkdtemp(prefix="headrace-mariadb-", dir="/tmp"))
    os.chmod(server.base, 0o755)
    try:
        server.initialise()
    except BaseException:
        server.remove()
        raise
    return server


@pytest.fixture(scope="module")
def private_mariadb():
    """A MariaDB server of the module's own, which its tests may stop and restart."""
    why = available()
    if why:
        message = f"no private MariaDB server: {why}; scripts/setup-mysql.sh installs it"
        if os.environ.get("HEADRACE_REQUIRE_MYSQL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = new_server()
    yield server
    server.remove()
