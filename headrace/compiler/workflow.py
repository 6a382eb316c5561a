"""The Argo Workflow document: metadata (KFP annotations, the run graph), run parameters, the DAG,
one container template per distinct component configuration, and the run step.

A step carries its own node, nothing more (DESIGN.md): nodes whose templates come out equal (same
component, image, resources, Beam settings, runtime parameters) share one template, and each DAG
task passes its node instance (id, parameters, input producers) as the template's one input
parameter. So what Argo hands one pod (ARGO_TEMPLATE: its template with the task's arguments
substituted) stays the same size from 20 to 10,000 nodes, and the YAML grows by one task per
node. The run's graph, which `headrace runs report` draws, is recorded once per run by the run
step, from the compressed workflow annotation `headrace.dev/graph` (the only thing that grows
with the pipeline, by a few bytes per node). The pipeline IR itself is not in the workflow: it
holds the compiling machine's paths (pipeline root, call sites), which mean nothing in a cluster.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from headrace import __version__
from headrace.compiler import conventions as kfp
from headrace.compiler.container_step import build_container_steps
from headrace.compiler.exit_handler import EXIT_TEMPLATE, exit_template
from headrace.compiler.names import generate_name, k8s_name, unique_names
from headrace.compiler.options import CompileOptions
from headrace.compiler.run_step import GRAPH_ANNOTATION, RUN_TEMPLATE, run_step
from headrace.compiler.step import NODE_LABEL, Shared, Step, build_step, retry_strategy
from headrace.compiler.storage import metadata, pipeline_root
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR, encode_graph

DAG_TEMPLATE = "headrace-dag"
PIPELINE_LABEL = "headrace.dev/pipeline"
FINGERPRINT_ANNOTATION = "headrace.dev/fingerprint"
VERSION_ANNOTATION = "headrace.dev/version"


@dataclass(frozen=True, kw_only=True)
class Built:
    document: dict[str, Any]  # the Workflow as plain data, in the key order it is written in
    task_nodes: dict[str, str]  # DAG task name -> the id of the node it runs


def build_workflow(ir: PipelineIR, options: CompileOptions) -> Built:
    """The pipeline as one Workflow (see split.py for pipelines too large for one)."""
    _check_beam_nodes(ir, options)
    shared = Shared(
        ir=ir,
        options=options,
        root=pipeline_root(ir, options),
        metadata=metadata(ir, options),
        names=unique_names(_task_keys(ir), reserved=(DAG_TEMPLATE, RUN_TEMPLATE, EXIT_TEMPLATE)),
        retry=retry_strategy(options),
    )
    steps = [
        step
        for node in ir.nodes
        for step in (
            build_container_steps(node, shared) if node.container else [build_step(node, shared)]
        )
    ]
    templates = share_templates(steps, ir, shared.names)
    run = run_step(ir, shared)
    parameters = run_parameters(ir)
    pipeline_label = k8s_name(ir.name)

    meta: dict[str, Any] = {"generateName": generate_name(options.generate_name or ir.name)}
    if options.namespace:
        meta["namespace"] = options.namespace
    meta["labels"] = {kfp.SDK_TYPE_LABEL: kfp.SDK_TYPE, PIPELINE_LABEL: pipeline_label}
    meta["annotations"] = {
        kfp.PIPELINE_SPEC: kfp.pipeline_spec(ir, parameters),
        VERSION_ANNOTATION: __version__,
        FINGERPRINT_ANNOTATION: _fingerprint(ir, steps),
        GRAPH_ANNOTATION: encode_graph(ir),  # last: the readable annotations come first
    }

    # onExit: marks what a step killed for good left RUNNING (exit_handler.py).
    spec: dict[str, Any] = {"entrypoint": DAG_TEMPLATE, "onExit": EXIT_TEMPLATE}
    if options.service_account:
        spec["serviceAccountName"] = options.service_account
    if options.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in options.image_pull_secrets]
    if options.host_network:
        # Every pod on the node's network (a single-node or test cluster without a pod network
        # or cluster DNS); Service names still resolve where the cluster has DNS.
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if parameters:
        spec["arguments"] = {"parameters": parameters}
    if options.workflow_timeout_seconds:
        spec["activeDeadlineSeconds"] = options.workflow_timeout_seconds
    if options.pod_gc:
        spec["podGC"] = {"strategy": options.pod_gc}
    spec["podMetadata"] = {"labels": {**kfp.pod_labels(), PIPELINE_LABEL: pipeline_label}}
    if shared.root.volume:
        spec["volumes"] = [shared.root.volume]
    spec["templates"] = [_dag([run, *steps]), run.template, *templates, exit_template(shared)]
    document = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": meta, "spec": spec}
    return Built(document=document, task_nodes={s.task["name"]: s.node_id for s in steps})


def _fingerprint(ir: PipelineIR, steps: list[Step]) -> str:
    """A content hash of what the cluster runs (each step's configuration and task): equal for
    equal pipelines, whichever machine (checkout path, local root) compiled them."""
    digest = hashlib.sha256(ir.name.encode())
    for key in dict.fromkeys(s.key for s in steps if s.key):
        digest.update(key.encode())
    for step in steps:
        if not step.key:  # a container node's steps
            digest.update(json.dumps(step.template, sort_keys=True).encode())
        # The task's name, dependencies and node instance (no dict to serialize again).
        digest.update(repr((step.key, step.task["name"], step.task.get("dependencies"),
                            step.task.get("arguments"))).encode())
    return digest.hexdigest()


def _task_keys(ir: PipelineIR) -> list[str]:
    # Node ids first, so they keep their plain names; a container node's driver and publisher
    # steps follow under keys no node id can be (ids hold no spaces): "<id> driver".
    extra = [f"{n.id} {role}" for n in ir.nodes if n.container for role in ("driver", "publish")]
    return [*(n.id for n in ir.nodes), *extra]


def share_templates(
    steps: list[Step], ir: PipelineIR, names: dict[str, str]
) -> list[dict[str, Any]]:
    """One template per distinct configuration, in first-use order; sets each task's
    `template`. A template used by one node is named after it and shows the node id as its KFP
    display name; a shared one is named after its component, and the KFP UI shows each of its
    tasks by task name (the node id as a Kubernetes name)."""
    groups: dict[str, list[Step]] = {}
    for step in steps:
        key = step.key if step.shareable else step.task["name"]
        groups.setdefault(key, []).append(step)
    components = {n.id: n.component for n in ir.nodes}
    counts: dict[str, int] = {}
    shared_keys: dict[str, str] = {}
    for key, members in groups.items():
        if members[0].shareable and len(members) > 1:
            component = components[members[0].node_id]
            counts[component] = counts.get(component, 0) + 1
            # A space: no node id holds one, so these keys never equal a node id; the name is
            # the component's (then "-2", "-3"...), or hashed if a node's name took it.
            number = counts[component]
            shared_keys[key] = f"{component} {number if number > 1 else ''}"
    taken = set(names.values()) | {DAG_TEMPLATE, RUN_TEMPLATE}
    template_names = unique_names(list(shared_keys.values()), reserved=taken)
    out = []
    for key, members in groups.items():
        first = members[0]
        if not first.shareable:
            out.append(first.template)
            continue
        if key in shared_keys:
            name = template_names[shared_keys[key]]
            metadata = first.template["metadata"]
        else:
            name = first.task["name"]
            labels = {**first.template["metadata"]["labels"], NODE_LABEL: k8s_name(first.node_id)}
            metadata = {"annotations": {kfp.TASK_DISPLAY_NAME: first.node_id}, "labels": labels}
        out.append({"name": name, **first.template, "metadata": metadata})
        for step in members:
            _set_template(step.task, name)
    return out


def _set_template(task: dict[str, Any], name: str) -> None:
    # `template` right after `name`, as people write tasks.
    items = [(k, v) for k, v in task.items() if k not in ("name", "template")]
    task_name = task["name"]
    task.clear()
    task.update({"name": task_name, "template": name})
    task.update(items)


def _dag(steps: list[Step]) -> dict[str, Any]:
    # Edges as `dependencies` lists: the KFP UI draws edges only from those, not `depends`.
    return {"name": DAG_TEMPLATE, "dag": {"tasks": [s.task for s in steps]}}


def run_parameters(ir: PipelineIR) -> list[dict[str, Any]]:
    """Runtime parameters as workflow parameters; values are JSON (what `--runtime-param`
    takes), so every default survives the trip exactly, strings included."""
    return [
        {
            "name": p.name,
            "value": json.dumps(p.default, sort_keys=True, separators=(",", ":")),
            "description": f"Runtime parameter ({p.type_name}), as a JSON value.",
        }
        for p in ir.runtime_parameters
    ]


def _check_beam_nodes(ir: PipelineIR, options: CompileOptions) -> None:
    if options.beam.nodes is None:
        return
    known = {n.id for n in ir.nodes}
    unknown = sorted(set(options.beam.nodes) - known)
    if unknown:
        raise DefinitionError(
            f"Beam nodes {unknown} are not in pipeline {ir.name!r}; its nodes: "
            f"{', '.join(sorted(known))}."
        )
