"""A pipeline too large for one Workflow object (Argo refuses a workflow whose spec and status pass
1 MiB) as a parent Workflow and parts: each part a WorkflowTemplate holding the DAG of a slice of
the nodes (in topological order), which the parent's resource templates instantiate as child
Workflows, in the order the slices depend on each other, waiting for each child's success.

Same semantics as one workflow: every step records into the parent's run (the parent's name
reaches the children as the parameter `headrace-run-id`, their steps' `--run-id`), so caching,
the run graph (recorded once, by the parent's run step) and `headrace runs` see one run. Each
step keeps its retry strategy; a part that fails fails the parent, and retrying the parent
(`argo retry`) creates the part again, whose steps reuse what this run already completed.

Why WorkflowTemplates and not child manifests inline in the parent: the parent would then hold
the whole pipeline and be as large as the single workflow. Why not `workflowTemplateRef` alone:
one Workflow from one template is still one object of the same size. Children are created with
an owner reference, so deleting the parent deletes them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from headrace.compiler import conventions as kfp
from headrace.compiler.names import k8s_name
from headrace.compiler.options import CompileOptions
from headrace.compiler.run_step import RUN_TEMPLATE
from headrace.compiler.step import RUN_ID
from headrace.compiler.yaml_text import dump
from headrace.ir import PipelineIR

RUN_ID_PARAMETER = "headrace-run-id"
RUN_LABEL = "headrace.dev/run"
PART_LABEL = "headrace.dev/part"
_CHILD_RUN_ID = "{{workflow.parameters." + RUN_ID_PARAMETER + "}}"
# What a part keeps of the whole workflow's spec, in the order the spec is written.
_HEAD = ("serviceAccountName", "imagePullSecrets", "hostNetwork", "dnsPolicy")
_TAIL = ("activeDeadlineSeconds", "podGC", "podMetadata", "volumes")


def split_workflow(
    doc: dict[str, Any],
    task_nodes: dict[str, str],
    ir: PipelineIR,
    options: CompileOptions,
    part_size: int,
) -> list[dict[str, Any]]:
    """The WorkflowTemplates of the parts, then the parent Workflow."""
    spec = doc["spec"]
    dag, run_template, *templates = spec["templates"]
    by_name = {t["name"]: t for t in templates}
    node_part = {n.id: i // part_size for i, n in enumerate(ir.nodes)}
    count = max(node_part.values()) + 1
    task_part = {name: node_part[node] for name, node in task_nodes.items()}
    tasks: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    needs: list[set[int]] = [set() for _ in range(count)]
    for task in dag["dag"]["tasks"]:
        if task["name"] == RUN_TEMPLATE:
            continue
        part = task_part[task["name"]]
        inside = [d for d in task.get("dependencies", []) if task_part[d] == part]
        needs[part] |= {task_part[d] for d in task.get("dependencies", [])} - {part}
        kept = {k: v for k, v in task.items() if k != "dependencies"}
        if inside:
            kept = {"name": kept.pop("name"), "template": kept.pop("template"),
                    "dependencies": inside, **kept}
        tasks[part].append(kept)

    parameters = spec.get("arguments", {}).get("parameters", [])
    base = k8s_name(ir.name, 40)
    # Steps record into the parent's run, not into the child's own name (tasks hold no run id).
    child_templates = {name: json.loads(json.dumps(t).replace(RUN_ID, _CHILD_RUN_ID))
                       for name, t in by_name.items()}
    parts = []
    for index, part_tasks in enumerate(tasks):
        used = list(dict.fromkeys(t["template"] for t in part_tasks))
        part_templates = [{"name": dag["name"], "dag": {"tasks": part_tasks}},
                          *(child_templates[u] for u in used)]
        part_spec: dict[str, Any] = {"entrypoint": spec["entrypoint"]}
        part_spec.update({k: spec[k] for k in _HEAD if k in spec})
        part_spec["arguments"] = {"parameters": [
            {"name": RUN_ID_PARAMETER, "description": "The parent workflow's name: the run id."},
            *parameters,
        ]}
        part_spec.update({k: spec[k] for k in _TAIL if k in spec})
        part_spec["templates"] = part_templates
        digest = _digest(ir.name, index, part_tasks, [child_templates[u] for u in used])
        meta: dict[str, Any] = {"name": f"{base}-{digest}-{index + 1}"}
        if "namespace" in doc["metadata"]:
            meta["namespace"] = doc["metadata"]["namespace"]
        meta["labels"] = {**doc["metadata"]["labels"], PART_LABEL: str(index + 1)}
        parts.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
                      "metadata": meta, "spec": part_spec})

    names = [f"part-{i + 1}" for i in range(count)]
    parent_tasks: list[dict[str, Any]] = [{"name": RUN_TEMPLATE, "template": RUN_TEMPLATE}]
    for index, name in enumerate(names):
        part_task: dict[str, Any] = {"name": name, "template": name}
        if needs[index]:
            part_task["dependencies"] = [names[i] for i in sorted(needs[index])]
        parent_tasks.append(part_task)
    resources = [
        _part_template(name, part, tasks[i], count, parameters, options)
        for i, (name, part) in enumerate(zip(names, parts, strict=True))
    ]
    parent_spec = {k: v for k, v in spec.items() if k != "templates"}
    # The exit handler stays with the parent: it ends last and marks the whole run's leftovers.
    exit_handler = [by_name[spec["onExit"]]] if "onExit" in spec else []
    parent_spec["templates"] = [{"name": dag["name"], "dag": {"tasks": parent_tasks}},
                                run_template, *resources, *exit_handler]
    parent = {**doc, "spec": parent_spec}
    return [*parts, parent]


def _part_template(
    name: str,
    part: dict[str, Any],
    tasks: list[dict[str, Any]],
    count: int,
    parameters: list[dict[str, Any]],
    options: CompileOptions,
) -> dict[str, Any]:
    first, last = (_node_of(t) for t in (tasks[0], tasks[-1]))
    number = part["metadata"]["labels"][PART_LABEL]
    child = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": "{{workflow.name}}-" + number + "-",
            "labels": {RUN_LABEL: "{{workflow.name}}", PART_LABEL: number},
        },
        "spec": {
            "workflowTemplateRef": {"name": part["metadata"]["name"]},
            "arguments": {"parameters": [
                {"name": RUN_ID_PARAMETER, "value": RUN_ID},
                *({"name": p["name"], "value": "{{workflow.parameters." + p["name"] + "}}"}
                  for p in parameters),
            ]},
        },
    }
    template: dict[str, Any] = {
        "name": name,
        "metadata": {"annotations": {
            kfp.TASK_DISPLAY_NAME: f"part {number} of {count}: {len(tasks)} steps, {first} .. "
                                   f"{last}",
        }},
    }
    if options.retry_limit:
        # The child's steps retry on their own terms; this retries only what went wrong around
        # the child (creating it, the controller): a new child reuses what the run completed.
        template["retryStrategy"] = {"limit": str(options.retry_limit), "retryPolicy": "OnError"}
    template["resource"] = {
        "action": "create",
        "setOwnerReference": True,
        "successCondition": "status.phase == Succeeded",
        "failureCondition": "status.phase in (Failed, Error)",
        "manifest": dump(child),
    }
    return template


def _digest(pipeline: str, index: int, tasks: list[dict[str, Any]],
            templates: list[dict[str, Any]]) -> str:
    """Names the part by content: another version of the pipeline gets other templates, so
    its runs and this one's can be in flight together."""
    digest = hashlib.sha256(repr((pipeline, index)).encode())
    for template in templates:
        digest.update(json.dumps(template, sort_keys=True).encode())
    for task in tasks:
        digest.update(repr(sorted(task.items())).encode())
    return digest.hexdigest()[:8]


def _node_of(task: dict[str, Any]) -> str:
    for p in task.get("arguments", {}).get("parameters", []):
        if p["name"] == "node":
            return str(json.loads(p["value"])["id"])
    return str(task["name"])
