"""`compile_kfp(ir, options)`: PipelineIR -> a Kubeflow Pipelines v2 pipeline spec (the IR YAML
`kfp.compiler` writes: pipelineInfo, root DAG, components, deploymentSpec) and, as a second YAML
document, its Kubernetes platform spec (Secrets, the pipeline-root claim, placement).

One task per node; each executor runs Headrace's entrypoint with the command, args and env that
`step.node_invocation` gives the Argo template too: the component *definition* (`--definition`),
nothing of other nodes. Nodes of one configuration (a fan-out of one component) share one
component and executor, and each task passes its node *instance* (id, parameters, input
producers) as a task input, as the Argo DAG task does: what one executor and one task carry does
not grow with the pipeline. One more task, `headrace-run`, records the run's graph once per run
(run_step.py); nothing depends on it. What v2 cannot express is refused here (kfp_v2_support.py
says what to use instead).
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
    VALUE_LIMIT,
    Measure,
    _measure,
    _size,
    check,
)
from headrace.compiler.names import k8s_name, unique_names
from headrace.compiler.options import CompileOptions
from headrace.compiler.quantity import parse_quantity
from headrace.compiler.run_step import RUN_TEMPLATE, run_invocation
from headrace.compiler.status import estimate as estimate_status
from headrace.compiler.step import (
    Invocation,
    Refs,
    Shared,
    configuration_key,
    node_invocation,
)
from headrace.compiler.storage import metadata, pipeline_root
from headrace.compiler.yaml_text import dump
from headrace.ir import NodeIR, PipelineIR, encode_graph, instance_json

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
    shared = Shared(
        ir=ir,
        options=options,
        root=pipeline_root(ir, options),
        metadata=metadata(ir, options),
        names=unique_names((n.id for n in ir.nodes), reserved=(RUN_TEMPLATE,)),
        retry=None,
    )
    refs = Refs(
        run_id=_input(RUN_ID_INPUT),
        instance=_input(NODE_INPUT),
        runtime_param=_runtime_arg,
        ui_metadata=False,
    )
    components: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    platform: dict[str, Any] = {}
    by_content: dict[str, str] = {}  # canonical JSON of a component's parts -> its name
    by_key: dict[str, str] = {}  # configuration key (step.py) -> its component's name
    tasks: dict[str, Any] = {}
    run = run_invocation(ir, shared, run_id=_input(RUN_ID_INPUT), graph=encode_graph(ir))
    run_inputs = {RUN_ID_INPUT: {"parameterType": "STRING"}}
    _add_component(RUN_TEMPLATE, run_inputs, run, shared, components, executors, platform,
                   by_content)
    tasks[RUN_TEMPLATE] = _run_task()
    for node in ir.nodes:
        name = shared.names[node.id]
        runtime = sorted({p.runtime for p in node.parameters if p.runtime})
        # The executor depends on the configuration only: built once per configuration.
        key = configuration_key(node, shared)
        component = by_key.get(key)
        if component is None:
            inputs = {
                NODE_INPUT: {"parameterType": "STRING"},
                RUN_ID_INPUT: {"parameterType": "STRING"},
            }
            inputs.update({r: {"parameterType": _parameter_type(ir, r)} for r in runtime})
            component = by_key[key] = _add_component(
                name, inputs, node_invocation(node, shared, refs), shared, components,
                executors, platform, by_content,
            )
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
    measures = _measures(text, spec)
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


def _add_component(
    name: str,
    inputs: dict[str, Any],
    run: Invocation,
    shared: Shared,
    components: dict[str, Any],
    executors: dict[str, Any],
    platform: dict[str, Any],
    by_content: dict[str, str],
) -> str:
    """The component running `run` with `inputs`: an equal one already added, else a new one
    named after `name`."""
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
        executors[f"exec-{name}"] = executor
        if config:
            platform[f"exec-{name}"] = config
    return component


def _run_task() -> dict[str, Any]:
    # Nothing depends on it: the nodes start at once and it records the graph meanwhile
    # (idempotently, so a KFP retry of the run records it again harmlessly).
    return {
        "taskInfo": {"name": "run graph"},
        "componentRef": {"name": f"comp-{RUN_TEMPLATE}"},
        "inputs": {"parameters": {
            RUN_ID_INPUT: {"runtimeValue": {"constant": RUN_ID_PLACEHOLDER}},
        }},
        "cachingOptions": {"enableCache": False},
    }


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
        NODE_INPUT: {"runtimeValue": {"constant": instance_json(node)}},
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


def _measures(text: str, spec: dict[str, Any]) -> list[Measure]:
    executors = spec["deploymentSpec"]["executors"]
    components = spec["components"]
    tasks = spec["root"]["dag"]["tasks"]
    sizes = {name: _size(e) for name, e in executors.items()}
    task_sizes = {name: _size(t) for name, t in tasks.items()}
    # KFP's v2 compiler turns the spec into one Argo Workflow that holds each distinct
    # component and executor once (as workflow parameters) and, per task, a driver pod (given
    # the task's JSON) and an executor pod; Argo's controller refuses it over 1 MiB with its
    # status (kept as JSON until that would pass 1 MiB, then compressed).
    spec_size = sum(sizes.values()) + _size(components) + 2 * sum(task_sizes.values())
    status = estimate_status(_argo_shape(spec))
    status_size = status.raw if spec_size + status.raw <= OBJECT_LIMIT else status.compressed
    # What one pod is handed: KFP's driver gets a task's JSON, its component and executor as
    # arguments, and resolves the executor's args with the task's inputs (its node instance).
    executor_of = {c: v["executorLabel"] for c, v in components.items()}
    component_size = {c: _size(v) for c, v in components.items()}
    payloads = {
        name: sizes[executor_of[t["componentRef"]["name"]]]
        + component_size[t["componentRef"]["name"]] + 2 * task_sizes[name]
        for name, t in tasks.items()
    }
    run_payload = payloads.pop(RUN_TEMPLATE)
    largest = max(payloads.values(), default=0)
    return [
        _measure(
            "largest per-task payload (a task's JSON, its component and executor: what KFP's "
            "driver hands one pod as arguments)",
            largest,
            VALUE_LIMIT,
            lambda: sorted(
                [(f"task {n} (executor, component and node instance)", b)
                 for n, b in payloads.items()], key=lambda kv: -kv[1]),
        ),
        _measure(
            "the run task's payload (its executor holds the run graph, compressed)",
            run_payload,
            VALUE_LIMIT,
            lambda: [(f"executor exec-{RUN_TEMPLATE} (the graph of {len(tasks) - 1} nodes)",
                      sizes[f"exec-{RUN_TEMPLATE}"])],
        ),
        _measure(
            "the Argo Workflow KFP makes of it (executors, components, tasks, and a driver and "
            "an executor pod's status per task)",
            spec_size + status_size,
            OBJECT_LIMIT,
            lambda: (
                [(f"executor {n}", b) for n, b in sizes.items()]
                + [(f"the JSON of {len(tasks)} tasks, twice (in KFP's root component and each "
                    f"task's driver; a retry policy and a node instance each)",
                    2 * sum(task_sizes.values()))]
                + [(f"run status of {len(tasks)} tasks (estimated, "
                    f"{'compressed' if status_size != status.raw else 'as JSON'})", status_size)]
            ),
        ),
        _measure(
            "the pipeline spec file (KFP's upload limit)",
            len(text.encode()),
            KFP_UPLOAD_LIMIT,
            lambda: sorted(task_sizes.items(), key=lambda kv: -kv[1]),
        ),
    ]


def _argo_shape(spec: dict[str, Any]) -> dict[str, Any]:
    """The DAG of KFP's Argo Workflow, as far as its status depends on it: per task a driver
    and an executor pod. Argo records a pod's inputs resolved, so the driver's status holds the
    task's JSON, its component and its executor (for status.estimate)."""
    templates = [
        {"name": "system-container-driver", "container": {}},
        {"name": "system-container-impl", "container": {}},
    ]
    components = spec["components"]
    executors = spec["deploymentSpec"]["executors"]
    dag = []
    for name, task in spec["root"]["dag"]["tasks"].items():
        component = components[task["componentRef"]["name"]]
        executor = executors[component["executorLabel"]]
        dag.append({"name": f"{name}-driver", "template": "system-container-driver",
                    "arguments": {"parameters": [
                        {"name": "task", "value": _compact(task)},
                        {"name": "component", "value": _compact(component)},
                        {"name": "container", "value": _compact(executor["container"])},
                    ]}})
        patch = f"{{{{tasks.{name}-driver.outputs.parameters.pod-spec-patch}}}}"
        dag.append({"name": name, "template": "system-container-impl", "arguments": {
            "parameters": [{"name": "pod-spec-patch", "value": patch}]}})
    return {"metadata": {"generateName": f"{spec['pipelineInfo']['name']}-"},
            "spec": {"templates": [{"name": "root", "dag": {"tasks": dag}}, *templates]}}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
