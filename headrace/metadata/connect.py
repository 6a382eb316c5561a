"""Opening a metadata store from a URL, with errors that say what failed and what to check."""

from __future__ import annotations

import os
import time

from ml_metadata import errors as mlmd_errors
from ml_metadata.metadata_store import metadata_store as ms
from ml_metadata.proto import metadata_store_pb2 as mlmd

from headrace.errors import MetadataAccessDenied, MetadataConnectionError
from headrace.metadata.probe import Probe, probe
from headrace.metadata.retry import retrying
from headrace.metadata.store import Store
from headrace.metadata.urls import PASSWORD_ENV, MetadataUrl, parse


def open_store(url: str, *, wait_seconds: float = 0.0) -> Store:
    """Connect to the store at `url` (see headrace.metadata.urls), creating it if needed.

    A server that cannot be reached fails at once, unless `wait_seconds` is given: a cluster
    step waits that long for a store being restarted or rescheduled rather than spend its
    retries on it (a person at a terminal wants the mistyped port now)."""
    parsed = parse(url)
    found = None
    if parsed.scheme != "sqlite":
        found = _probe_until(parsed, time.monotonic() + wait_seconds)
        if not found.ok:
            raise _unreachable(parsed, found)
    last: BaseException | None = None
    for attempt in range(_LOGIN_ATTEMPTS):
        try:
            return _open(parsed)
        except (mlmd_errors.StatusError, RuntimeError, OSError) as exc:
            if parsed.scheme != "mysql" or found is None:
                raise MetadataConnectionError(_explain(parsed, exc)) from exc
            last = exc
        # The server answered the probe and then failed the login. MLMD's message is often empty
        # for a wrong password and for a server shutting down alike (the port still accepts for a
        # moment), so probe again before blaming the login: a server gone now is a restart, which
        # fails with the unreachable store's retryable error; one that answers is tried again.
        time.sleep(_LOGIN_RECHECK_SECONDS * (attempt + 1))
        found = probe(parsed.host, parsed.port, mysql=True)
        if not found.ok:
            raise _unreachable(parsed, found) from last
    assert last is not None and found is not None
    # Answered every probe and refused every login: it is the login or the database.
    raise MetadataAccessDenied(_refused(parsed, found.server, last)) from last


def _probe_until(parsed: MetadataUrl, deadline: float) -> Probe:
    """Probe until the server answers or `deadline` passes; only an absent server (refused,
    no answer, a name not resolving yet) is waited for, not a port that is another service's."""
    delay = 0.25
    while True:
        found = probe(parsed.host, parsed.port, mysql=parsed.scheme == "mysql")
        if found.ok or found.problem not in _WAITED_FOR or time.monotonic() >= deadline:
            return found
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 2.0)


_WAITED_FOR = ("refused", "timeout", "dns")


def _open(parsed: MetadataUrl) -> Store:
    raw = retrying(lambda: ms.MetadataStore(_config(parsed)), attempts=10, base_delay=0.1)
    # gRPC connects lazily; one cheap read proves the server answers.
    retrying(lambda: raw.get_context_types(), attempts=3)
    reopen = (lambda: ms.MetadataStore(_config(parsed))) if parsed.scheme == "mysql" else None
    return Store(raw, parsed, reopen=reopen)


# A refused MySQL login is tried this many times, each followed by a probe after 0.5, 1 and
# 1.5 s: a wrong password is reported 3 s later; a server restarting is not called a refusal.
_LOGIN_ATTEMPTS = 3
_LOGIN_RECHECK_SECONDS = 0.5


def _config(url: MetadataUrl) -> mlmd.ConnectionConfig | mlmd.MetadataStoreClientConfig:
    if url.scheme == "sqlite":
        directory = os.path.dirname(os.path.abspath(url.path))
        os.makedirs(directory, exist_ok=True)
        config = mlmd.ConnectionConfig()
        config.sqlite.filename_uri = url.path
        config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        return config
    if url.scheme == "mysql":
        config = mlmd.ConnectionConfig()
        config.mysql.host = url.host
        config.mysql.port = url.port
        config.mysql.database = url.database
        config.mysql.user = url.user
        config.mysql.password = url.password
        return config
    return mlmd.MetadataStoreClientConfig(host=url.host, port=url.port)


def _unreachable(url: MetadataUrl, found: Probe) -> MetadataConnectionError:
    what = "MySQL metadata store" if url.scheme == "mysql" else "ML Metadata gRPC service"
    where = f"{url.host}:{url.port}"
    if found.problem == "dns":
        return MetadataConnectionError(
            f"Cannot find the {what} {url}: the host name {url.host!r} does not resolve "
            f"({found.detail}). Check the host in the metadata URL; in a cluster it is the "
            f"Service's name (add .NAMESPACE when it lives in another namespace)."
        )
    if found.problem == "refused":
        start = (
            "locally scripts/setup-mysql.sh starts MariaDB"
            if url.scheme == "mysql"
            else "in a cluster, the metadata-grpc-service Deployment"
        )
        return MetadataConnectionError(
            f"Cannot connect to the {what} {url}: nothing accepts connections on {where} "
            f"({found.detail}). The server is not running, or listens on another port: start "
            f"it ({start}) or fix the port in the URL."
        )
    if found.problem == "timeout":
        return MetadataConnectionError(
            f"Cannot connect to the {what} {url}: {where} gives no answer "
            f"({found.detail}). A firewall or network policy drops the connection, or the "
            f"address is wrong."
        )
    if found.problem == "rejected":
        return MetadataAccessDenied(
            f"The MySQL server at {where} refuses connections from this machine "
            f"({found.detail}). Let this host connect (CREATE USER ... @'%', or the server's "
            f"bind address and host rules)."
        )
    return MetadataAccessDenied(
        f"{where} answers, but not as a MySQL server ({found.detail}): the port in the metadata "
        f"URL {url} is another service's. MySQL and MariaDB listen on 3306 by default."
    )


def _refused(url: MetadataUrl, server: str, exc: BaseException) -> str:
    detail = str(exc).strip()
    where = f"The MySQL server at {url.host}:{url.port} ({server.removeprefix('5.5.5-')})"
    setup = (
        f"locally, scripts/setup-mysql.sh makes user 'headrace' with the password in "
        f"{PASSWORD_ENV} and grants it the databases named headrace*"
    )
    if "access denied" in detail.lower() and "database" in detail.lower():
        return (
            f"{where} let user {url.user!r} in but not into database {url.database!r}: grant "
            f"it that database (with the right to create it), or use one it may ({setup}). "
            f"MySQL said: {detail}"
        )
    password = "set" if url.password else "NOT set"
    return (
        f"{where} answers but refused the login of user {url.user!r}: the password in "
        f"{PASSWORD_ENV} ({password}) is wrong or there is no such user ({setup}; MLMD cannot "
        f"log in as root with an empty password over TCP). MLMD said: "
        f"{detail or 'nothing (an empty message)'}."
    )


def _explain(url: MetadataUrl, exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    if url.scheme == "sqlite":
        return (
            f"Cannot open the SQLite metadata store {url.path!r}: {detail}. Check that the "
            f"directory is writable and the file is an ML Metadata database."
        )
    if url.scheme == "mysql":
        password = "set" if url.password else "NOT set"
        return (
            f"Cannot connect to the MySQL metadata store {url} ({detail}). Check that the "
            f"server runs and listens on {url.host}:{url.port}, that user {url.user!r} exists "
            f"with the password in {PASSWORD_ENV} (now {password}; MLMD cannot log in as root "
            f"with an empty password over TCP), and that the user may create and use database "
            f"{url.database!r}."
        )
    return (
        f"Cannot reach the ML Metadata gRPC service at {url.host}:{url.port} ({detail}). Check "
        f"that metadata-grpc-service runs and that this address is reachable from here."
    )
