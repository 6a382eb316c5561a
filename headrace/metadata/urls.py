"""Metadata URLs (`sqlite:///path`, `mysql://user@host:port/db`, `grpc://host:port`), parsed and
checked without importing ml_metadata."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from headrace.errors import MetadataConnectionError

PASSWORD_ENV = "HEADRACE_MYSQL_PASSWORD"
_EXAMPLES = "sqlite:///path/to/metadata.sqlite, mysql://user@host:3306/db or grpc://host:8080"


@dataclass(frozen=True, kw_only=True)
class MetadataUrl:
    scheme: str  # sqlite | mysql | grpc
    path: str = ""  # sqlite file
    host: str = ""
    port: int = 0
    user: str = ""
    database: str = ""

    def __str__(self) -> str:  # never shows a password: there is none in the URL
        if self.scheme == "sqlite":
            return f"sqlite://{self.path}"
        if self.scheme == "mysql":
            return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}"
        return f"grpc://{self.host}:{self.port}"

    @property
    def password(self) -> str:
        return os.environ.get(PASSWORD_ENV, "")


def default_url(pipeline_root: str) -> str:
    """The embedded default: a SQLite file under the pipeline root."""
    return "sqlite://" + os.path.join(os.path.abspath(pipeline_root), "metadata.sqlite")


def parse(url: str) -> MetadataUrl:
    """Parse a metadata URL; a bad one raises MetadataConnectionError saying what is expected."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # Everything after "sqlite://" is the file: sqlite:///abs/path or sqlite://relative/path.
        path = unquote(url[len("sqlite://") :])
        if not path.strip("/"):
            raise MetadataConnectionError(f"Metadata URL {url!r} names no file; e.g. {_EXAMPLES}.")
        return MetadataUrl(scheme="sqlite", path=path)
    if scheme in ("mysql", "grpc"):
        if parts.password:
            raise MetadataConnectionError(
                f"The metadata URL has a password in it; remove it and set {PASSWORD_ENV} "
                f"instead (in a cluster, from a Kubernetes Secret)."
            )
        default_port = 3306 if scheme == "mysql" else 8080
        try:
            port = parts.port or default_port
        except ValueError as exc:
            raise MetadataConnectionError(f"Metadata URL {url!r}: bad port ({exc}).") from exc
        if not parts.hostname:
            raise MetadataConnectionError(f"Metadata URL {url!r} names no host; e.g. {_EXAMPLES}.")
        database = parts.path.strip("/")
        if scheme == "mysql" and (not database or not parts.username):
            raise MetadataConnectionError(
                f"Metadata URL {url!r} must name a user and a database: "
                f"mysql://user@host:port/database (password in {PASSWORD_ENV})."
            )
        return MetadataUrl(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or ""),
            database=database,
        )
    raise MetadataConnectionError(f"Unsupported metadata URL {url!r}; use {_EXAMPLES}.")
