"""Shared test helpers: the options most tests compile with, and finding a step's template."""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from headrace.compiler import CompileOptions, compile_workflow
from headrace.ir import PipelineIR

BASE = CompileOptions(
    image="registry.example.com/headrace:1.0",
    pipeline_root="/mnt/pipelines",
    root_volume_claim="headrace-root",
    metadata="mysql://mlmd@mysql.kubeflow:3306/metadb",
)


def compile_doc(ir: PipelineIR, options: CompileOptions = BASE, **changes: Any) -> dict[str, Any]:
    """The compiled workflow, parsed back from its YAML text (what a cluster would read)."""
    options = dataclasses.replace(options, **changes)
    return yaml.safe_load(compile_workflow(ir, options).yaml)


def node_templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The templates that run nodes: all but the DAG, the run step and the exit handler."""
    return [t for t in doc["spec"]["templates"]
            if "container" in t and t["name"] not in ("headrace-run", "headrace-exit-handler")]


def task_of(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    """The DAG task whose node instance is `node_id`."""
    import json

    for task in doc["spec"]["templates"][0]["dag"]["tasks"]:
        for p in task.get("arguments", {}).get("parameters", []):
            if p["name"] == "node" and json.loads(p["value"])["id"] == node_id:
                return task
    raise KeyError(node_id)


def template(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    """The container template of the node whose KFP display name is `node_id`."""
    for t in doc["spec"]["templates"]:
        annotations = t.get("metadata", {}).get("annotations", {})
        if annotations.get("pipelines.kubeflow.org/task_display_name") == node_id:
            return t
    raise KeyError(node_id)


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def flags(container: dict[str, Any], flag: str) -> list[str]:
    prefix = f"--{flag}="
    return [a[len(prefix):] for a in container["args"] if a.startswith(prefix)]
