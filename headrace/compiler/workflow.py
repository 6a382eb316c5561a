"""The Argo Workflow document: metadata (the IR once, KFP annotations), run parameters, the DAG
and one container template per node.

The IR travels once, as the workflow annotation `headrace.dev/ir`, which each step's env takes by
reference (`{{workflow.annotations.headrace.dev/ir}}`) and the entrypoint reads with `--ir-env`.
Not a workflow parameter: KFP shows every workflow parameter as a run parameter, pre-fills it,
and rejects runs whose parameters exceed 10,000 bytes, so an IR of any real size would make the
pipeline unrunnable from the KFP UI. Not a ConfigMap: `argo submit` and KFP upload take one
document. Not a volume: object-store roots have none. Annotations reach every pod without a
shared volume and count against limits we measure (256 KiB annotations, 128 KiB per value).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from headrace import __version__
from headrace.compiler import conventions as kfp
from headrace.compiler.container_step import build_container_steps
from headrace.compiler.exit_handler import EXIT_TEMPLATE, exit_template
from headrace.compiler.names import generate_name, k8s_name, unique_names
from headrace.compiler.options import CompileOptions
from headrace.compiler.step import IR_ANNOTATION, Shared, Step, build_step, retry_strategy
from headrace.compiler.storage import metadata, pipeline_root
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR

DAG_TEMPLATE = "headrace-dag"
PIPELINE_LABEL = "headrace.dev/pipeline"
FINGERPRINT_ANNOTATION = "headrace.dev/ir-fingerprint"
VERSION_ANNOTATION = "headrace.dev/version"


def build_workflow(ir: PipelineIR, ir_json: str, options: CompileOptions) -> dict[str, Any]:
    """The Workflow as plain data, in the key order it is written in."""
    _check_beam_nodes(ir, options)
    shared = Shared(
        ir=ir,
        options=options,
        root=pipeline_root(ir, options),
        metadata=metadata(ir, options),
        names=unique_names(_task_keys(ir), reserved=(DAG_TEMPLATE, EXIT_TEMPLATE)),
        retry=retry_strategy(options),
    )
    steps = [
        step
        for node in ir.nodes
        for step in (
            build_container_steps(node, shared) if node.container else [build_step(node, shared)]
        )
    ]
    parameters = run_parameters(ir)
    pipeline_label = k8s_name(ir.name)

    meta: dict[str, Any] = {"generateName": generate_name(options.generate_name or ir.name)}
    if options.namespace:
        meta["namespace"] = options.namespace
    meta["labels"] = {kfp.SDK_TYPE_LABEL: kfp.SDK_TYPE, PIPELINE_LABEL: pipeline_label}
    meta["annotations"] = {
        kfp.PIPELINE_SPEC: kfp.pipeline_spec(ir, parameters),
        VERSION_ANNOTATION: __version__,
        # = ir.fingerprint(), without serializing the IR a second time
        FINGERPRINT_ANNOTATION: hashlib.sha256(ir_json.encode()).hexdigest(),
        IR_ANNOTATION: ir_json,  # last: the readable annotations come first
    }

    # onExit: marks what a step killed for good left RUNNING (exit_handler.py).
    spec: dict[str, Any] = {"entrypoint": DAG_TEMPLATE, "onExit": EXIT_TEMPLATE}
    if options.service_account:
        spec["serviceAccountName"] = options.service_account
    if options.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in options.image_pull_secrets]
    if parameters:
        spec["arguments"] = {"parameters": parameters}
    if options.workflow_timeout_seconds:
        spec["activeDeadlineSeconds"] = options.workflow_timeout_seconds
    if options.pod_gc:
        spec["podGC"] = {"strategy": options.pod_gc}
    spec["podMetadata"] = {"labels": {**kfp.pod_labels(), PIPELINE_LABEL: pipeline_label}}
    if shared.root.volume:
        spec["volumes"] = [shared.root.volume]
    spec["templates"] = [_dag(steps), *(s.template for s in steps), exit_template(shared)]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": meta, "spec": spec}


def _task_keys(ir: PipelineIR) -> list[str]:
    # Node ids first, so they keep their plain names; a container node's driver and publisher
    # steps follow under keys no node id can be (ids hold no spaces): "<id> driver".
    extra = [f"{n.id} {role}" for n in ir.nodes if n.container for role in ("driver", "publish")]
    return [*(n.id for n in ir.nodes), *extra]


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
