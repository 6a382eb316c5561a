"""`headrace upload`: put a compiled file into Kubeflow Pipelines through the kfp client, as a
pipeline or a new version, and optionally start a run: an Argo Workflow YAML (which KFP takes as
a "v1" pipeline) or a KFP v2 pipeline spec, told apart by content."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.compiler.errors import DeployError
from headrace.compiler.kfp_run import Run, create_run, run_values
from headrace.compiler.workflow_file import Format, read_package, workflow_templates


@dataclass(frozen=True, kw_only=True)
class Uploaded:
    pipeline_id: str
    name: str
    version_id: str | None
    version: str | None
    url: str  # the pipeline (or version) in the KFP UI
    format: Format = "argo"
    run: Run | None = None


def upload(
    path: str | Path,
    *,
    host: str,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    namespace: str | None = None,
    run: bool = False,
    parameters: Mapping[str, str] | None = None,
    run_name: str | None = None,
    experiment: str | None = None,
    service_account: str | None = None,
    client: Any = None,
) -> Uploaded:
    """Upload `path` as pipeline `name` (default: the pipeline's name); with `version`, add it
    as that version of the pipeline, creating the pipeline first if it does not exist yet. With
    `run`, start a run of what was uploaded with `parameters` (NAME -> text, typed by the
    file's declarations; checked before anything is sent)."""
    package = read_package(path)
    parts = workflow_templates(package.text) if package.format == "argo" else []
    if parts:
        raise DeployError(
            f"{path} is a pipeline split into {len(parts)} parts (WorkflowTemplates) and a "
            f"parent Workflow: Kubeflow Pipelines uploads one document, and its UI could not "
            f"draw the parts. Run it on Argo with `headrace submit {path}`, or create the parts "
            f"first (`kubectl create` of the WorkflowTemplates in the file) and upload the "
            f"parent Workflow alone."
        )
    name = name or package.name
    description = description or package.description
    if (parameters or run_name or experiment or service_account) and not run:
        raise DeployError("Run parameters, --run-name, --experiment and --service-account "
                          "need --run.")
    values = run_values(package, parameters or {})
    if client is None:
        client = _client(host)
    base = host.rstrip("/")
    with _as_yaml_file(Path(path)) as package_file, _quiet(), _errors(host):
        pipeline_id = client.get_pipeline_id(name) if version else None
        version_id = None
        if pipeline_id is None:
            # pipeline_name given: the client sends the file as it is (it parses a package as
            # a v2 spec only without one), so an Argo Workflow reaches the server unchanged.
            created = client.upload_pipeline(package_file, pipeline_name=name,
                                             description=description, namespace=namespace)
            pipeline_id = created.pipeline_id
        url = f"{base}/#/pipelines/details/{pipeline_id}"
        if version:
            made = client.upload_pipeline_version(package_file, pipeline_version_name=version,
                                                  pipeline_id=pipeline_id,
                                                  description=description)
            version_id = made.pipeline_version_id
            url = f"{url}/version/{version_id}"
        started = None
        if run:
            version_id = version_id or _latest_version(client, pipeline_id)
            experiment_id = (client.create_experiment(experiment, namespace=namespace)
                             .experiment_id if experiment else None)
            started = create_run(
                client, package, host=host, pipeline_id=pipeline_id, version_id=version_id,
                values=values, run_name=run_name or f"{name} {version or ''}".strip(),
                experiment_id=experiment_id, service_account=service_account,
            )
    return Uploaded(pipeline_id=pipeline_id, name=name, version_id=version_id if version else None,
                    version=version, url=url, format=package.format, run=started)


def _latest_version(client: Any, pipeline_id: str) -> str:
    listed = client.list_pipeline_versions(pipeline_id, page_size=1, sort_by="created_at desc")
    versions = listed.pipeline_versions or []
    if not versions:
        raise DeployError(f"Pipeline {pipeline_id} has no version to run.")
    return str(versions[0].pipeline_version_id)


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
