"""`headrace upload`: put a compiled workflow into Kubeflow Pipelines (as a v1 pipeline, which
KFP accepts as an Argo Workflow YAML) through the kfp client, as a pipeline or a new version."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.compiler.errors import DeployError
from headrace.compiler.workflow_file import pipeline_info, read_workflow


@dataclass(frozen=True, kw_only=True)
class Uploaded:
    pipeline_id: str
    name: str
    version_id: str | None
    version: str | None
    url: str  # the pipeline (or version) in the KFP UI


def upload(
    path: str | Path,
    *,
    host: str,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    namespace: str | None = None,
    client: Any = None,
) -> Uploaded:
    """Upload `path` as pipeline `name` (default: the pipeline's name); with `version`, add it
    as that version of the pipeline, creating the pipeline first if it does not exist yet."""
    _, doc = read_workflow(path)
    default_name, default_description = pipeline_info(doc)
    name = name or default_name
    description = description or default_description
    if client is None:
        client = _client(host)
    with _as_yaml_file(Path(path)) as package, _quiet(), _errors(host):
        pipeline_id = client.get_pipeline_id(name) if version else None
        if pipeline_id is None:
            created = client.upload_pipeline(package, pipeline_name=name,
                                             description=description, namespace=namespace)
            pipeline_id = created.pipeline_id
        if not version:
            return Uploaded(pipeline_id=pipeline_id, name=name, version_id=None, version=None,
                            url=f"{host.rstrip('/')}/#/pipelines/details/{pipeline_id}")
        made = client.upload_pipeline_version(package, pipeline_version_name=version,
                                              pipeline_id=pipeline_id, description=description)
    return Uploaded(
        pipeline_id=pipeline_id, name=name, version_id=made.pipeline_version_id, version=version,
        url=f"{host.rstrip('/')}/#/pipelines/details/{pipeline_id}/version/"
            f"{made.pipeline_version_id}",
    )


def _client(host: str) -> Any:
    import kfp  # ~1 s to import: only when uploading

    with _quiet(), _errors(host):
        return kfp.Client(host=host)


@contextlib.contextmanager
def _as_yaml_file(path: Path) -> Iterator[str]:
    # KFP tells pipeline formats apart by the uploaded file's extension.
    if path.suffix in (".yaml", ".yml"):
        yield str(path)
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"{path.stem or 'workflow'}.yaml"
        shutil.copyfile(path, copy)
        yield str(copy)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # The kfp client prints links and warns that it targets KFP 2 servers; the CLI says what
    # happened itself.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _errors(host: str) -> Iterator[None]:
    from kfp_server_api.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        raise DeployError(
            f"Kubeflow Pipelines at {host} answered {exc.status} {exc.reason}: "
            f"{_message(exc.body)}"
        ) from exc
    except (HTTPError, OSError) as exc:
        raise DeployError(
            f"Cannot reach Kubeflow Pipelines at {host} ({exc}); check --host (e.g. "
            f"http://localhost:8080 after `kubectl port-forward -n kubeflow "
            f"svc/ml-pipeline-ui 8080:80`)."
        ) from exc
    except ValueError as exc:  # the kfp client's own checks (e.g. a duplicate pipeline name)
        raise DeployError(f"Kubeflow Pipelines upload: {exc}") from exc


def _message(body: Any) -> str:
    import json

    try:
        data = json.loads(body)
        return str(data.get("message") or data.get("error") or body)
    except (TypeError, ValueError, AttributeError):
        return str(body or "(no message)")
