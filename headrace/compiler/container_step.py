"""A container component as three DAG tasks: the user's image runs in a step of its own, between
a headrace driver step and a headrace publisher step.

    <node>-driver  (headrace image)  launch() up to the hand-over: resolve inputs, decide the
                   cache, start the MLMD execution, make the output directories, resolve the
                   placeholders; writes the output parameters `execute` and one per resolved item
    <node>         (the user's image) command/args with `{{inputs.parameters.arg-N}}` where a
                   placeholder was; `when: execute == true`, so a cache hit skips it
    <node>-publish (headrace image)  reads the output properties file, publishes to MLMD; on a
                   skipped container step it reports the driver's cache hit. Downstream tasks
                   depend on it (a Skipped dependency counts as done in Argo's DAG).

Why not an init container in one pod: Kubernetes fixes a container's args when the pod is
created, so an init container could hand resolved args over only through a wrapper script in
the user's image (a shell it may not have, e.g. distroless), and publishing would need a
sidecar that outlives the main container. Three steps keep the user's image untouched, show as
three boxes in the KFP UI, and let each step retry on its own terms. A failed container step
leaves its execution RUNNING (no publisher runs): `argo retry` re-runs that step and the
publisher then records it; a new run's driver never sees it (another run id).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from headrace.compiler import conventions as kfp
from headrace.compiler.names import k8s_name
from headrace.compiler.resources import placement
from headrace.compiler.step import (
    ENTRYPOINT,
    NODE_LABEL,
    NODE_PARAMETER,
    UI_METADATA_ARTIFACT,
    Shared,
    Step,
    _args,
    _common_env,
    _image,
    memory_patch,
)
from headrace.dsl.container import step_parameters
from headrace.dsl.resources import Resources
from headrace.ir import NodeIR, instance_json

OOM_EXIT_CODE = 137  # what Kubernetes reports for a container the kernel killed for memory
EXECUTE = "execute"  # = headrace.entrypoint.container_phases.EXECUTE (a test keeps them equal)


def build_container_steps(node: NodeIR, shared: Shared) -> list[Step]:
    assert node.container is not None
    run_name = shared.names[node.id]
    driver_name = shared.names[f"{node.id} driver"]
    publish_name = shared.names[f"{node.id} publish"]
    items = [name for name, _, _ in step_parameters(node.container)]
    out_dir = shared.options.driver_outputs_dir.rstrip("/")

    driver = _headrace_template(
        node,
        shared,
        driver_name,
        "driver",
        ["--phase=container-driver", f"--driver-outputs={out_dir}"],
    )
    driver["outputs"] = {
        "parameters": [
            {"name": p, "valueFrom": {"path": f"{out_dir}/{p}"}} for p in [EXECUTE, *items]
        ]
    }
    driver_task: dict[str, Any] = {"name": driver_name, "template": driver_name}
    if node.upstream:
        driver_task["dependencies"] = [shared.done_task(u) for u in node.upstream]
    driver_task["arguments"] = _instance(node)

    run_task: dict[str, Any] = {
        "name": run_name,
        "template": run_name,
        "dependencies": [driver_name],
        "when": f"{{{{tasks.{driver_name}.outputs.parameters.{EXECUTE}}}}} == true",
    }
    if items:
        run_task["arguments"] = {
            "parameters": [
                {"name": p, "value": f"{{{{tasks.{driver_name}.outputs.parameters.{p}}}}}"}
                for p in items
            ]
        }

    publish = _headrace_template(
        node, shared, publish_name, "publish", ["--phase=container-publisher"], ui_metadata=True
    )
    if shared.options.ui_metadata:
        publish["outputs"] = {
            "artifacts": [
                {
                    "name": UI_METADATA_ARTIFACT,
                    "path": shared.options.ui_metadata_path,
                    "optional": True,
                }
            ]
        }
    publish_task = {"name": publish_name, "template": publish_name, "dependencies": [run_name],
                    "arguments": _instance(node)}
    return [
        Step(node_id=node.id, template=driver, task=driver_task),
        Step(
            node_id=node.id, template=_user_template(node, shared, run_name, items), task=run_task
        ),
        Step(node_id=node.id, template=publish, task=publish_task),
    ]


def _user_template(node: NodeIR, shared: Shared, name: str, items: list[str]) -> dict[str, Any]:
    """The user's image with the node's resources and placement, the pipeline root mounted at
    the same path (so URIs are paths), and no metadata access: it needs none."""
    assert node.container is not None
    options = shared.options
    place = placement(node, default_cpu=options.default_cpu, default_memory=options.default_memory)
    resolved = {(f, i): name for name, f, i in step_parameters(node.container)}
    container: dict[str, Any] = {"name": "main", "image": node.image or node.container.image}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    for field_name in ("command", "args"):
        values = getattr(node.container, field_name)
        if values:
            container[field_name] = [
                f"{{{{inputs.parameters.{resolved[field_name, i]}}}}}"
                if (field_name, i) in resolved
                else value
                for i, value in enumerate(values)
            ]
    env = _common_env(options, place.gpus)
    if env:
        container["env"] = env
    container["resources"] = place.resources
    if shared.root.mount:
        container["volumeMounts"] = [shared.root.mount]

    template: dict[str, Any] = {"name": name, "metadata": _metadata(node, node.id)}
    if items:
        template["inputs"] = {"parameters": [{"name": p} for p in items]}
    if place.node_selector:
        template["nodeSelector"] = place.node_selector
    if place.tolerations:
        template["tolerations"] = place.tolerations
    if options.step_timeout_seconds:
        template["activeDeadlineSeconds"] = str(options.step_timeout_seconds)
    if options.retry_limit:
        # The program's exit codes mean nothing to Headrace, and a program that failed fails
        # again: retry only what Argo calls an error (pod evicted or deleted, node lost), and a
        # kill for memory (137), which the podSpecPatch answers with more memory.
        template["retryStrategy"] = {
            "limit": str(options.retry_limit),
            "retryPolicy": "Always",
            "expression": f'lastRetry.status == "Error" or asInt(lastRetry.exitCode) in '
                          f'[{OOM_EXIT_CODE}]',
            "backoff": {"duration": options.retry_backoff, "factor": "2", "maxDuration": "1h"},
        }
        patch = memory_patch(node, place, options)
        if patch:
            template["podSpecPatch"] = patch
    template["container"] = container
    return template


def _headrace_template(
    node: NodeIR, shared: Shared, name: str, role: str, phase: list[str], ui_metadata: bool = False
) -> dict[str, Any]:
    """The driver or publisher: the headrace (CPU) image with default resources, anywhere."""
    options = shared.options
    light = dataclasses.replace(node, resources=Resources(), image=None)
    place = placement(light, default_cpu=options.default_cpu, default_memory=options.default_memory)
    args = [a for a in _args(node, shared, ()) if ui_metadata or not a.startswith("--ui-")]
    container: dict[str, Any] = {"name": "main", "image": _image(light, options, 0)}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    container["command"] = list(ENTRYPOINT)
    container["args"] = [*args, *phase]
    container["env"] = [*shared.metadata.env, *_common_env(options, 0)]
    container["resources"] = place.resources
    if shared.root.mount:
        container["volumeMounts"] = [shared.root.mount]
    template: dict[str, Any] = {
        "name": name,
        "metadata": _metadata(node, f"{node.id} ({role})"),
        "inputs": {"parameters": [{"name": NODE_PARAMETER}]},
    }
    if options.step_timeout_seconds:
        template["activeDeadlineSeconds"] = str(options.step_timeout_seconds)
    if shared.retry:
        template["retryStrategy"] = shared.retry
    template["container"] = container
    return template


def _instance(node: NodeIR) -> dict[str, Any]:
    return {"parameters": [{"name": NODE_PARAMETER, "value": instance_json(node)}]}


def _metadata(node: NodeIR, display: str) -> dict[str, Any]:
    return {
        "annotations": {kfp.TASK_DISPLAY_NAME: display},
        "labels": {NODE_LABEL: k8s_name(node.id)},
    }
