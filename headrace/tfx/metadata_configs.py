"""`tfx.orchestration.metadata.*_metadata_connection_config`: ML Metadata ConnectionConfig
protos, which `tfx.dsl.Pipeline(metadata_connection_config=...)` turns into a metadata URL."""

from __future__ import annotations

from typing import Any


def sqlite_metadata_connection_config(metadata_db_uri: str) -> Any:
    from headrace.metadata import connection_configs  # loads ml_metadata: only when called

    return connection_configs.sqlite_config(metadata_db_uri)


def mysql_metadata_connection_config(
    host: str, port: int, database: str, username: str, password: str
) -> Any:
    from headrace.metadata import connection_configs

    return connection_configs.mysql_config(host, port, database, username, password)
