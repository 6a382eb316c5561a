"""`compile_kfp(ir, options)`: PipelineIR -> a Kubeflow Pipelines v2 pipeline spec (the IR YAML
`kfp.compiler` writes: pipelineInfo, root DAG, components, deploymentSpec) and, as a second YAML
document, its Kubernetes platform spec (Secrets, the pipeline-root claim, placement).

One task per node; each executor runs Headrace's entrypoint with the command, args and env that
`step.node_invocation` gives the Argo step too. Nodes whose executors come out identical (a
fan-out of one component with one configuration) share one component and executor: the node id
is a task input, so the IR, which every executor carries in its env, is written once per
distinct configuration rather than once per node. What v2 cannot express is refused here
(kfp_v2_support.py says what to use instead).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from headrace import __version__
from headrace.compiler import cluster
from headrace.compiler.advice import warnings_for
from headrace.compiler.kfp_v2_support import duration_seconds, refuse_unsupported, retry_note
from headrace.compiler.limits import (
    KFP_UPLOAD_LIMIT,
    OBJECT_LIMIT,
    STATUS_BYTES_PER_STEP,
    VALUE_LIMIT,
    Measure,
    _ir_contributors,
    _measure,
    _size,
    check,
)
from headrace.compiler.names import k8s_name, unique_names
from headrace.compiler.options import CompileOptions
from headrace.compiler.quantity import parse_quantity
from headrace.compiler.step import IR_ENV, Invocation, Refs, Shared, node_invocation
from headrace.compiler.storage import metadata, pipeline_root
from headrace.compiler.yaml_text import dump
from headrace.ir import NodeIR, PipelineIR

SCHEMA_VERSION = "2.1.0"  # KFP's server rejects 2.0.0 (what TFX's KubeflowV2DagRunner wrote)
NODE_INPUT = "headrace_node"
RUN_ID_INPUT = "headrace_run_id"
# The run's uuid is the Headrace run id (a KFP retry of the run keeps it, so Headrace resumes
# the run instead of starting another). KFP's driver fills this placeholder in only as a task
# input's constant, not in a command line, so it reaches the args as an input (as kfp.dsl's
# PIPELINE_JOB_ID_PLACEHOLDER does).
RUN_ID_PLACEHOLDER = "{{$.pipeline_job_uuid}}"
_PARAMETER_TYPES = {
    "int": "NUMBER_INTEGER",
    "float": "NUMBER_DOUBLE",
    "str": "STRING",
    "bool": "BOOLEAN",
    "dict": "STRUCT",
    "list": "LIST",
}
_GB = 10**9  # kfp writes memoryLimit/memoryRequest as (decimal) gigabytes
_IR_STAND_IN = "\0headrace-ir\0"  # no IR JSON is this string


@dataclass(frozen=True, kw_only=True)
class CompiledKfp:
    """The pipeline spec and platform spec as data, the two-document YAML, sizes, warnings."""

    pipeline_spec: dict[str, Any]
    platform_spec: dict[str, Any]
    yaml: str
    measures: tuple[Measure, ...]
    warnings: tuple[str, ...]


def _input(name: str) -> str:
    return f"{{{{$.inputs.parameters['{name}']}}}}"


def _runtime_arg(name: str, type_name: str) -> str:
    flag = "--runtime-text" if type_name == "str" else "--runtime-param"
    return f"{flag}={name}={_input(name)}"


KFP_METADATA_URL = f"grpc://{cluster.METADATA_GRPC_SERVICE}.kubeflow:{cluster.METADATA_GRPC_PORT}"


def kfp_options(ir: PipelineIR, options: CompileOptions) -> CompileOptions:
    """KFP's own ML Metadata (its metadata-grpc-service) unless told otherwise: Headrace's
    artifacts then sit next to KFP's and show in its UI (docs/kubeflow.md, "What is recorded
    where")."""
    if options.metadata or (ir.metadata and ir.metadata.split(":", 1)[0] in ("mysql", "grpc")):
        return options
    return dataclasses.replace(options, metadata=KFP_METADATA_URL)


def compile_kfp(ir: PipelineIR, options: CompileOptions | None = None) -> CompiledKfp:
    """Compile `ir` for KFP v2; DefinitionError for what v2 cannot express, with the fix."""
    options = kfp_options(ir, options or CompileOptions())
    refuse_unsupported(ir, options, reserved_inputs=(NODE_INPUT, RUN_ID_INPUT))
    ir_json = ir.to_json()
    shared = Shared(
        ir=ir,
        options=options,
        root=pipeline_root(ir, options),
        metadata=metadata(ir, options),
        names=unique_names(n.id for n in ir.nodes),
        retry=None,
    )
    refs = Refs(
        run_id=_input(RUN_ID_INPUT),
        # The same IR for every node: a stand-in while executors are compared (serializing the
        # IR once per node would make compiling quadratic), the IR itself once one is kept.
        ir_env={"name": IR_ENV, "value": _IR_STAND_IN},
        runtime_param=_runtime_arg,
        node=_input(NODE_INPUT),
        ui_metadata=False,
    )
    components: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    platform: dict[str, Any] = {}
    by_content: dict[str, str] = {}  # canonical JSON of a component's parts -> its name
    tasks: dict[str, Any] = {}
    for node in ir.nodes:
        name = shared.names[node.id]
        run = node_invocation(node, shared, refs)
        runtime = sorted({p.runtime for p in node.parameters if p.runtime})
        inputs = {
            NODE_INPUT: {"parameterType": "STRING"},
            RUN_ID_INPUT: {"parameterType": "STRING"},
        }
        inputs.update({r: {"parameterType": _parameter_type(ir, r)} for r in runtime})
        executor = {"container": _container(run, env=[e for e in run.env if "value" in e])}
        config = _executor_config(run, shared)
        content = json.dumps([inputs, executor, config], sort_keys=True)
        component = by_content.get(content)
        if component is None:
            component = by_content[content] = f"comp-{name}"
            components[component] = {
                "executorLabel": f"exec-{name}",
                "inputDefinitions": {"parameters": inputs},
            }
            executors[f"exec-{name}"] = _with_ir(executor, ir_json)
            if config:
                platform[f"exec-{name}"] = config
        tasks[name] = _task(node, shared, component, runtime)
    spec: dict[str, Any] = {
        "pipelineInfo": _pipeline_info(ir),
        "root": {"dag": {"tasks": tasks}},
    }
    if ir.runtime_parameters:
        spec["root"]["inputDefinitions"] = {"parameters": _root_inputs(ir)}
    spec["components"] = components
    spec["deploymentSpec"] = {"executors": executors}
    spec["schemaVersion"] = SCHEMA_VERSION
    spec["sdkVersion"] = f"headrace-{__version__}"
    platform_spec = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": platform}}}}
    text = dump(spec) + "---\n" + dump(platform_spec)
    measures = _measures(ir, ir_json, text, spec)
    if options.enforce_limits:
        check(measures)
    notes = [*warnings_for(ir, options), *retry_note(options)]
    return CompiledKfp(
        pipeline_spec=spec,
        platform_spec=platform_spec,
        yaml=text,
        measures=tuple(measures),
        warnings=tuple(notes),
    )


def _with_ir(executor: dict[str, Any], ir_json: str) -> dict[str, Any]:
    container = executor["container"]
    env = [{**e, "value": ir_json} if e["value"] == _IR_STAND_IN else e for e in container["env"]]
    return {**executor, "container": {**container, "env": env}}


def _pipeline_info(ir: PipelineIR) -> dict[str, Any]:
    # KFP wants pipeline names lower-case with dashes. No displayName: KFP servers whose protos
    # predate that field (2.2) would refuse the whole spec; the IR keeps the user's name.
    info: dict[str, Any] = {"name": k8s_name(ir.name)}
    if ir.description:
        info["description"] = ir.description
    return info


def _parameter_type(ir: PipelineIR, name: str) -> str:
    declared = {p.name: p.type_name for p in ir.runtime_parameters}
    return _PARAMETER_TYPES[declared.get(name, "str")]


def _root_inputs(ir: PipelineIR) -> dict[str, Any]:
    return {
        p.name: {
            "defaultValue": p.default,
            "description": f"Runtime parameter ({p.type_name}).",
            "isOptional": True,
            "parameterType": _PARAMETER_TYPES[p.type_name],
        }
        for p in ir.runtime_parameters
    }


def _container(run: Invocation, env: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = {"image": run.image, "command": run.command, "args": run.args}
    if env:
        container["env"] = [{"name": e["name"], "value": e["value"]} for e in env]
    container["resources"] = _resources(run)
    return container


def _resources(run: Invocation) -> dict[str, Any]:
    """Both field sets kfp 2.13 writes: the numbers KFP 2.2/2.3 read (cores, decimal GB) and the
    Kubernetes quantities 2.4+ read; GPUs as an accelerator with both field pairs."""
    requests, limits = run.place.resources["requests"], run.place.resources["limits"]
    out: dict[str, Any] = {}
    for kind, scale in (("cpu", 1), ("memory", _GB)):
        for which, values in (("Limit", limits), ("Request", requests)):
            if kind in values:
                out[f"{kind}{which}"] = float(parse_quantity(values[kind]) / scale)
    for kind in ("cpu", "memory"):
        for which, values in (("Limit", limits), ("Request", requests)):
            if kind in values:
                out[f"resource{kind.capitalize()}{which}"] = values[kind]
    if run.place.gpus:
        vendor = next(k for k in limits if k not in ("cpu", "memory"))
        count = str(run.place.gpus)
        out["accelerator"] = {
            "count": count,
            "resourceCount": count,
            "resourceType": vendor,
            "type": vendor,
        }
    return out


def _executor_config(run: Invocation, shared: Shared) -> dict[str, Any]:
    """The executor's Kubernetes settings (kfp-kubernetes' KubernetesExecutorConfig), using
    the fields every KFP 2.x reads (`secretName`, `constant`), not their newer variants."""
    options = shared.options
    config: dict[str, Any] = {}
    secrets: dict[str, list[dict[str, str]]] = {}
    for entry in run.env:
        if "value" in entry:
            continue
        ref = entry["valueFrom"]["secretKeyRef"]  # refuse_unsupported allows nothing else
        secrets.setdefault(ref["name"], []).append(
            {"envVar": entry["name"], "secretKey": ref["key"]}
        )
    if secrets:
        config["secretAsEnv"] = [
            {"keyToEnv": keys, "secretName": name} for name, keys in sorted(secrets.items())
        ]
    if shared.root.mount:
        config["pvcMount"] = [
            {"constant": options.root_volume_claim, "mountPath": shared.root.mount["mountPath"]}
        ]
    if run.place.node_selector:
        config["nodeSelector"] = {"labels": run.place.node_selector}
    if run.place.tolerations:
        config["tolerations"] = run.place.tolerations
    if options.image_pull_secrets:
        config["imagePullSecret"] = [{"secretName": s} for s in options.image_pull_secrets]
    if options.image_pull_policy:
        config["imagePullPolicy"] = options.image_pull_policy
    if options.step_timeout_seconds:
        config["activeDeadlineSeconds"] = options.step_timeout_seconds
    return config


def _task(node: NodeIR, shared: Shared, component: str, runtime: list[str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        NODE_INPUT: {"runtimeValue": {"constant": node.id}},
        RUN_ID_INPUT: {"runtimeValue": {"constant": RUN_ID_PLACEHOLDER}},
    }
    parameters.update({r: {"componentInputParameter": r} for r in runtime})
    task: dict[str, Any] = {
        "taskInfo": {"name": node.id},
        "componentRef": {"name": component},
        "inputs": {"parameters": parameters},
    }
    if node.upstream:
        task["dependentTasks"] = [shared.names[u] for u in node.upstream]
    # Headrace caches in ML Metadata by code, parameters and input artifacts, and reuses only
    # complete executions whose outputs still exist; KFP's cache knows none of that (our tasks
    # declare no outputs) and would skip a node whose artifacts Headrace no longer has.
    task["cachingOptions"] = {"enableCache": False}
    options = shared.options
    if options.retry_limit:
        task["retryPolicy"] = {
            "backoffDuration": f"{duration_seconds(options.retry_backoff)}s",
            "backoffFactor": 2.0,
            "backoffMaxDuration": "3600s",
            "maxRetryCount": options.retry_limit,
        }
    return task


def _measures(ir: PipelineIR, ir_json: str, text: str, spec: dict[str, Any]) -> list[Measure]:
    ir_bytes = len(ir_json.encode())
    executors = spec["deploymentSpec"]["executors"]
    sizes = {name: _size(e) for name, e in executors.items()}
    # KFP's v2 compiler turns the spec into an Argo Workflow that holds each distinct executor
    # (so the IR once per executor) as a workflow parameter, and each task's driver and
    # executor pods as DAG tasks; Argo's controller refuses it over 1 MiB with its status.
    tasks = len(spec["root"]["dag"]["tasks"])
    workflow = sum(sizes.values()) + 2 * tasks * STATUS_BYTES_PER_STEP
    return [
        _measure(
            # KFP's driver hands each executor's container spec to its pod as one argument.
            f"the IR in each executor's {IR_ENV} (one env value)",
            ir_bytes,
            VALUE_LIMIT,
            lambda: _ir_contributors(ir),
        ),
        _measure(
            "the Argo Workflow KFP makes of it (executors, and a driver and an executor pod's "
            "status per task)",
            workflow,
            OBJECT_LIMIT,
            lambda: (
                [(f"executor {n} (with the IR)", b) for n, b in sizes.items()]
                + [(f"run status of {tasks} tasks", 2 * tasks * STATUS_BYTES_PER_STEP)]
            ),
        ),
        _measure(
            "the pipeline spec file (KFP's upload limit)",
            len(text.encode()),
            KFP_UPLOAD_LIMIT,
            lambda: _ir_contributors(ir),
        ),
    ]
