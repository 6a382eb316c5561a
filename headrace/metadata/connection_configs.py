"""MLMD `ConnectionConfig` protos (what TFX pipelines pass as `metadata_connection_config`) to
and from Headrace's metadata URLs."""

from __future__ import annotations

from typing import Any

from headrace.errors import MetadataConnectionError
from headrace.metadata.urls import PASSWORD_ENV


def sqlite_config(path: str) -> Any:
    """A ConnectionConfig for the SQLite file `path` (created on first use)."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd

    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return config


def mysql_config(host: str, port: int, database: str, user: str, password: str) -> Any:
    """A ConnectionConfig for a MySQL database."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd

    config = mlmd.ConnectionConfig()
    config.mysql.host, config.mysql.port = host, port
    config.mysql.database, config.mysql.user, config.mysql.password = database, user, password
    return config


def url_of(config: Any) -> tuple[str, str | None]:
    """(metadata URL, MySQL password or None) of a ConnectionConfig or MetadataStoreClientConfig.

    The URL never carries the password (Headrace reads it from `HEADRACE_MYSQL_PASSWORD`), so it
    is returned apart for the caller to put there.
    """
    name = getattr(getattr(config, "DESCRIPTOR", None), "full_name", "")
    if name == "ml_metadata.MetadataStoreClientConfig":
        return f"grpc://{config.host}:{config.port}", None
    which = config.WhichOneof("config") if name == "ml_metadata.ConnectionConfig" else None
    if which == "sqlite":
        return "sqlite://" + config.sqlite.filename_uri, None
    if which == "mysql":
        m = config.mysql
        return f"mysql://{m.user}@{m.host}:{m.port or 3306}/{m.database}", m.password or None
    raise MetadataConnectionError(
        f"metadata_connection_config {which or type(config).__name__!r} is not supported; give "
        f"a SQLite or MySQL ConnectionConfig (tfx.orchestration.metadata."
        f"sqlite_metadata_connection_config / mysql_metadata_connection_config). The MySQL "
        f"password goes to {PASSWORD_ENV}."
    )
