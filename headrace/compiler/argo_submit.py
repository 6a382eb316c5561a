"""`headrace submit`: create the compiled Workflow straight in Argo through the Kubernetes API
(custom objects) and optionally watch it finish. Runs made this way do not appear in the KFP
UI (only runs created through KFP's API do); `headrace upload` is the way there."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.compiler.errors import DeployError
from headrace.compiler.workflow_file import read_workflow, workflow_templates

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
FINISHED = ("Succeeded", "Failed", "Error")


@dataclass(frozen=True, kw_only=True)
class Submitted:
    name: str  # the workflow's name: also the run id in ML Metadata
    namespace: str
    phase: str | None  # the last phase seen (a finished one when watched)
    message: str = ""


def submit(
    path: str | Path,
    *,
    namespace: str | None = None,
    watch: bool = False,
    api_client: Any = None,
    poll_seconds: float = 5.0,
    timeout_seconds: float | None = None,
    on_progress: Callable[[str, str], None] | None = None,
) -> Submitted:
    """Create the workflow in `namespace` (default: the file's, else the kube context's, else
    "default"); with `watch`, poll until it finishes, calling `on_progress(step, phase)` for
    every step whose phase changes."""
    text, doc = read_workflow(path)
    api_client = api_client or _api_client()
    namespace = namespace or doc["metadata"].get("namespace") or _context_namespace()
    doc["metadata"]["namespace"] = namespace
    from kubernetes.client import CustomObjectsApi

    api = CustomObjectsApi(api_client)
    for part in workflow_templates(text):  # a split pipeline: its parts first
        part["metadata"]["namespace"] = namespace
        _create_template(api, namespace, part)
    with _errors(namespace):
        created = api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, doc)
    name = created["metadata"]["name"]
    phase = created.get("status", {}).get("phase")
    if not watch:
        return Submitted(name=name, namespace=namespace, phase=phase)
    seen: dict[str, str] = {}
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while True:
        with _errors(namespace):
            current = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        status = current.get("status", {})
        for node in sorted(status.get("nodes", {}).values(), key=lambda n: n.get("startedAt", "")):
            if node.get("type") == "Pod" and seen.get(node["id"]) != node.get("phase"):
                seen[node["id"]] = node.get("phase", "")
                if on_progress:
                    on_progress(node.get("displayName", node["id"]), seen[node["id"]])
        phase = status.get("phase")
        if phase in FINISHED:
            return Submitted(name=name, namespace=namespace, phase=phase,
                             message=status.get("message", ""))
        if deadline is not None and time.monotonic() > deadline:
            return Submitted(name=name, namespace=namespace, phase=phase,
                             message="still running when the watch timed out")
        time.sleep(poll_seconds)


def _create_template(api: Any, namespace: str, template: dict[str, Any]) -> None:
    """Create a part's WorkflowTemplate; one of the same name is the same content (the name
    holds its hash), so an existing one is left as it is."""
    from kubernetes.client.exceptions import ApiException

    try:
        with _errors(namespace):
            api.create_namespaced_custom_object(GROUP, VERSION, namespace, "workflowtemplates",
                                                template)
    except DeployError as exc:
        if not isinstance(exc.__cause__, ApiException) or exc.__cause__.status != 409:
            raise


def _api_client() -> Any:
    from kubernetes import client, config

    try:
        config.load_kube_config()
    except config.ConfigException:
        try:
            config.load_incluster_config()
        except config.ConfigException as exc:
            raise DeployError(
                "No Kubernetes configuration: set KUBECONFIG (or ~/.kube/config) or run "
                "inside a cluster."
            ) from exc
    return client.ApiClient()


def _context_namespace() -> str:
    from kubernetes import config

    try:
        _, active = config.list_kube_config_contexts()
        return active["context"].get("namespace") or "default"
    except (config.ConfigException, KeyError, TypeError):
        return "default"


@contextlib.contextmanager
def _errors(namespace: str) -> Iterator[None]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        try:
            message = json.loads(exc.body).get("message", exc.body)
        except (TypeError, ValueError):
            message = exc.body or exc.reason
        hint = ""
        if exc.status == 404:
            hint = " Is Argo Workflows installed (its CRD present) in this cluster?"
        elif exc.status == 403:
            hint = f" Your account may not create workflows in namespace {namespace!r}."
        raise DeployError(f"Kubernetes answered {exc.status} {exc.reason}: {message}.{hint}") \
            from exc
    except (HTTPError, OSError) as exc:
        raise DeployError(f"Cannot reach the Kubernetes API: {exc}") from exc
