"""`headrace upload --run`: start a run of an uploaded pipeline, with its parameters passed the
way the file's format needs them.

A KFP v2 pipeline spec takes them as the v2beta1 run's `runtime_config.parameters` (typed JSON
values). An Argo Workflow ("v1" template) must be run through the v1beta1 API with
`pipeline_spec.parameters`: runs created through v2beta1 keep an Argo template's parameters in
runtime_config only and the workflow runs with its defaults (kubeflow/pipelines#10346). The
kfp 2.13 client speaks only v2beta1, so the v1beta1 request goes through the client's own
ApiClient (same host, session, cookies and bearer token), not a second HTTP stack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headrace.compiler.errors import DeployError
from headrace.compiler.workflow_file import Package

_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}

_ARTICLE = {"int": "an", "float": "a", "bool": "a", "dict": "a", "list": "a"}


@dataclass(frozen=True, kw_only=True)
class Run:
    run_id: str
    api: str  # "v2beta1" or "v1beta1": which API created it
    url: str


def run_values(package: Package, given: Mapping[str, str]) -> dict[str, Any]:
    """`--param NAME=VALUE` texts as typed values: a str parameter takes the text verbatim,
    the others a JSON value of their type. DeployError for a name the file does not declare or
    a value of the wrong type, before anything is sent."""
    unknown = sorted(set(given) - set(package.parameters))
    if unknown:
        declared = ", ".join(f"{n} ({t})" for n, t in sorted(package.parameters.items()))
        raise DeployError(
            f"Run parameter {unknown[0]!r} is not a parameter of pipeline {package.name!r}; it "
            f"declares {declared or 'none'}."
        )
    values: dict[str, Any] = {}
    for name, text in given.items():
        kind = package.parameters[name]
        if kind == "str":
            values[name] = text
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        allowed = _TYPES[kind]
        if not isinstance(value, allowed) or (kind != "bool" and isinstance(value, bool)):
            raise DeployError(
                f"Run parameter {name!r} takes {_ARTICLE[kind]} {kind} value; {text!r} is not "
                f"one (write it as JSON, e.g. {_example(kind)})."
            )
        values[name] = float(value) if kind == "float" else value  # type: ignore[arg-type]
    return values


def _example(kind: str) -> str:
    return {"int": "200", "float": "0.5", "bool": "true", "dict": '{"a": 1}', "list": "[1, 2]"}[
        kind
    ]


def create_run(
    client: Any,
    package: Package,
    *,
    host: str,
    pipeline_id: str,
    version_id: str,
    values: Mapping[str, Any],
    run_name: str,
    experiment_id: str | None = None,
    service_account: str | None = None,
) -> Run:
    """Create the run through the API that honours `package`'s parameters."""
    base = host.rstrip("/")
    if package.format == "kfp":
        created = client.run_pipeline(
            experiment_id=experiment_id,
            job_name=run_name,
            params=dict(values),
            pipeline_id=pipeline_id,
            version_id=version_id,
            service_account=service_account,
        )
        return Run(
            run_id=created.run_id, api="v2beta1", url=f"{base}/#/runs/details/{created.run_id}"
        )
    body: dict[str, Any] = {
        "name": run_name,
        "pipeline_spec": {
            # The workflow's parameters hold JSON values (what the entrypoint decodes).
            "parameters": [
                {"name": n, "value": json.dumps(v, sort_keys=True, separators=(",", ":"))}
                for n, v in values.items()
            ],
        },
        "resource_references": [
            {"key": {"type": "PIPELINE_VERSION", "id": version_id}, "relationship": "CREATOR"},
        ],
    }
    if experiment_id:
        body["resource_references"].append(
            {"key": {"type": "EXPERIMENT", "id": experiment_id}, "relationship": "OWNER"}
        )
    if service_account:
        body["service_account"] = service_account
    api_client = client._run_api.api_client  # the kfp client's configured ApiClient
    detail = api_client.call_api(
        "/apis/v1beta1/runs",
        "POST",
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        body=body,
        response_type="object",
        auth_settings=["Bearer"],
        _return_http_data_only=True,
    )
    run_id = (detail or {}).get("run", {}).get("id")
    if not run_id:
        raise DeployError(f"Kubeflow Pipelines at {host} created no run (answer: {detail!r}).")
    return Run(run_id=run_id, api="v1beta1", url=f"{base}/#/runs/details/{run_id}")
