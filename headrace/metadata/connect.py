"""Opening a metadata store from a URL, with errors that say what failed and what to check."""

from __future__ import annotations

import os

from ml_metadata import errors as mlmd_errors
from ml_metadata.metadata_store import metadata_store as ms
from ml_metadata.proto import metadata_store_pb2 as mlmd

from headrace.errors import MetadataConnectionError
from headrace.metadata.retry import retrying
from headrace.metadata.store import Store
from headrace.metadata.urls import PASSWORD_ENV, MetadataUrl, parse


def open_store(url: str) -> Store:
    """Connect to the store at `url` (see headrace.metadata.urls), creating it if needed."""
    parsed = parse(url)
    try:
        raw = retrying(lambda: ms.MetadataStore(_config(parsed)), attempts=10, base_delay=0.1)
        # gRPC connects lazily; one cheap read proves the server answers.
        retrying(lambda: raw.get_context_types(), attempts=3)
    except (mlmd_errors.StatusError, RuntimeError, OSError) as exc:
        raise MetadataConnectionError(_explain(parsed, exc)) from exc
    reopen = (lambda: ms.MetadataStore(_config(parsed))) if parsed.scheme == "mysql" else None
    return Store(raw, parsed, reopen=reopen)


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
