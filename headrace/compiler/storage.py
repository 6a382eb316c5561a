"""Where a compiled workflow keeps its data: the pipeline root (a PVC path or an object-store URI)
and the shared ML Metadata store (MySQL with its password from a Secret, or gRPC)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from headrace.compiler import cluster
from headrace.compiler.options import CompileOptions
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR

ROOT_VOLUME = "pipeline-root"
PASSWORD_ENV = "HEADRACE_MYSQL_PASSWORD"  # the entrypoint's metadata layer reads this variable
_URL_EXAMPLES = f"{cluster.METADATA_URL} or {cluster.METADATA_GRPC_URL}"


@dataclass(frozen=True, kw_only=True)
class Root:
    """The pipeline root every step writes under, and the volume that holds it (if a path)."""

    path: str
    volume: dict[str, Any] | None = None  # spec.volumes entry
    mount: dict[str, Any] | None = None  # container volumeMounts entry


def pipeline_root(ir: PipelineIR, options: CompileOptions) -> Root:
    """`--pipeline-root`, else the IR's root if it is an object-store URI, else the base
    manifests' claim path (an IR path is where the pipeline ran locally)."""
    root = options.pipeline_root or (
        ir.root if ir.root and "://" in ir.root else cluster.PIPELINE_ROOT)
    fix = (
        "pass an object-store URI (--pipeline-root=gs://bucket/path) or an absolute path on a "
        "PersistentVolumeClaim (--pipeline-root=/mnt/pipelines --root-pvc=CLAIM)"
    )
    if "://" in root:
        if options.root_volume_claim not in (None, cluster.PIPELINE_ROOT_CLAIM):
            raise DefinitionError(
                f"Pipeline root {root!r} is an object-store URI; a PVC "
                f"({options.root_volume_claim!r}) only makes sense for a path root."
            )
        return Root(path=root.rstrip("/"))
    if not root.startswith("/"):
        raise DefinitionError(
            f"Pipeline root {root!r} is a relative path, which means nothing inside a container "
            f"(each step starts in its image's directory); {fix}."
        )
    if not options.root_volume_claim:
        raise DefinitionError(
            f"Pipeline root {root!r} is a path, but steps run in different pods and only see "
            f"it through a shared volume; name the PersistentVolumeClaim with --root-pvc=CLAIM "
            f"(ReadWriteMany), or use an object-store URI."
        )
    path = posixpath.normpath(root)
    return Root(
        path=path,
        volume={"name": ROOT_VOLUME,
                "persistentVolumeClaim": {"claimName": options.root_volume_claim}},
        mount={"name": ROOT_VOLUME, "mountPath": path},
    )


def beam_artifacts_dir(root: Root) -> str:
    return f"{root.path}/_beam_artifacts"


@dataclass(frozen=True, kw_only=True)
class Metadata:
    url: str
    env: tuple[dict[str, Any], ...] = ()  # the password, by reference


def metadata(ir: PipelineIR, options: CompileOptions) -> Metadata:
    """The metadata URL for every step; MySQL's password travels as a secretKeyRef only."""
    url = options.metadata or _shared(ir.metadata) or cluster.METADATA_URL
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raise DefinitionError(
            f"Metadata {url!r} is a SQLite file; pods on different machines cannot share it "
            f"safely. Use {_URL_EXAMPLES}."
        )
    if scheme not in ("mysql", "grpc"):
        raise DefinitionError(f"Unsupported metadata URL {url!r}; use {_URL_EXAMPLES}.")
    if parts.password is not None:
        raise DefinitionError(
            "The metadata URL holds a password, which would be written into the workflow YAML; "
            "remove it: steps read it from the Secret "
            f"{options.mysql_password_secret.name}/{options.mysql_password_secret.key} "
            f"(set with --mysql-password-secret=NAME/KEY)."
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        raise DefinitionError(f"Metadata URL {url!r} has a bad port: {exc}.") from exc
    if not parts.hostname:
        raise DefinitionError(f"Metadata URL {url!r} names no host; use {_URL_EXAMPLES}.")
    if scheme == "grpc":
        return Metadata(url=url)
    if not parts.username or not parts.path.strip("/"):
        raise DefinitionError(
            f"Metadata URL {url!r} must name a user and a database: mysql://user@host:port/db."
        )
    secret = options.mysql_password_secret
    env = {
        "name": PASSWORD_ENV,
        "valueFrom": {"secretKeyRef": {"name": secret.name, "key": secret.key}},
    }
    return Metadata(url=url, env=(env,))


def _shared(url: str | None) -> str | None:
    """The IR's metadata URL if pods can share it; a SQLite file is this machine's store."""
    return url if url and urlsplit(url).scheme.lower() in ("mysql", "grpc") else None
