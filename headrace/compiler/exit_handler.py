"""The workflow's exit handler (`spec.onExit`): one step that runs however the workflow ended
(failed, stopped, a step OOM-killed or lost with its node) and marks the run's executions still
RUNNING in ML Metadata FAILED or CANCELED with Argo's reason (`{{workflow.failures}}`)."""

from __future__ import annotations

from typing import Any

from headrace.compiler.step import ENTRYPOINT, RUN_ID, Shared

EXIT_TEMPLATE = "headrace-exit-handler"


def exit_template(shared: Shared) -> dict[str, Any]:
    """A small CPU step of the Headrace image, with the metadata env every step has."""
    options = shared.options
    container: dict[str, Any] = {"name": "main", "image": options.image or ""}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    container["command"] = list(ENTRYPOINT)
    container["args"] = [
        "--phase=exit-handler",
        f"--pipeline={shared.ir.name}",
        f"--run-id={RUN_ID}",
        f"--root={shared.root.path}",
        f"--metadata={shared.metadata.url}",
        "--workflow-status={{workflow.status}}",
        "--workflow-failures={{workflow.failures}}",
    ]
    container["env"] = [
        *shared.metadata.env,
        {"name": "NVIDIA_VISIBLE_DEVICES", "value": ""},
    ]
    container["resources"] = {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    if shared.root.mount:  # to remove the unpublished outputs of what it marks
        container["volumeMounts"] = [shared.root.mount]
    template: dict[str, Any] = {"name": EXIT_TEMPLATE}
    if shared.retry:  # MLMD down for a moment must not leave the executions RUNNING
        template["retryStrategy"] = shared.retry
    template["container"] = container
    return template
