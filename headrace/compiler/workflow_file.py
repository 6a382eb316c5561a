"""Reading a compiled file back (an Argo Workflow for upload and submit, or a KFP v2 pipeline
spec for upload), with errors that say what is wrong with the file rather than what the server
would later say."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from headrace.compiler.conventions import PIPELINE_SPEC
from headrace.compiler.errors import DeployError
from headrace.compiler.limits import KFP_UPLOAD_LIMIT

Format = Literal["argo", "kfp"]
# KFP's v2 parameter types, and the KFP v1 pipeline_spec annotation's type names.
_V2_TYPES = {"NUMBER_INTEGER": "int", "NUMBER_DOUBLE": "float", "STRING": "str",
             "BOOLEAN": "bool", "STRUCT": "dict", "LIST": "list"}
DEFINITION_FLAG = "--definition="  # step.py's flag for a step's component definition JSON
_V1_TYPES = {"Integer": "int", "Float": "float", "String": "str", "Bool": "bool",
             "JsonObject": "dict", "JsonArray": "list"}


@dataclass(frozen=True, kw_only=True)
class Package:
    """A compiled file for Kubeflow Pipelines: which format it is, its pipeline's name and
    description, and its run parameters with their Headrace types (int, float, str, ...)."""

    format: Format
    text: str
    name: str
    description: str | None
    parameters: dict[str, str]


def read_package(path: str | Path) -> Package:
    """An Argo Workflow or a KFP v2 pipeline spec, told apart by content; DeployError if the
    file is neither."""
    path = Path(path)
    text, docs = _load(path)
    doc = _workflow(docs)
    if doc is not None:
        name, description = pipeline_info(doc)
        declared = _v1_types(doc)
        names = [p["name"] for p in doc.get("spec", {}).get("arguments", {}).get("parameters", [])]
        return Package(format="argo", text=text, name=name, description=description,
                       parameters={n: declared.get(n, "str") for n in names})
    doc = docs[0] if docs else None
    if isinstance(doc, dict) and "pipelineInfo" in doc and "root" in doc:
        info = doc["pipelineInfo"]
        inputs = doc["root"].get("inputDefinitions", {}).get("parameters", {})
        return Package(
            format="kfp", text=text, name=_ir_name(doc) or info.get("name", ""),
            description=info.get("description"),
            parameters={n: _V2_TYPES.get(p.get("parameterType", ""), "str")
                        for n, p in inputs.items()},
        )
    raise DeployError(
        f"{path} is neither an Argo Workflow (kind Workflow, apiVersion argoproj.io/v1alpha1) "
        f"nor a KFP pipeline spec (pipelineInfo, root); compile one with `headrace compile "
        f"PIPELINE.py -o {path.name}` (--format kfp for the latter)."
    )


def read_workflow(path: str | Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed Workflow; DeployError if it is not one. A split
    pipeline's file also holds its parts' WorkflowTemplates (see `workflow_templates`)."""
    path = Path(path)
    text, docs = _load(path)
    doc = docs[0] if docs else None
    if isinstance(doc, dict) and "pipelineInfo" in doc and "root" in doc:
        raise DeployError(
            f"{path} is a KFP v2 pipeline spec, which only Kubeflow Pipelines runs (Argo cannot): "
            f"upload it with `headrace upload {path.name} --run`, or compile an Argo Workflow "
            f"(--format argo) to submit to Argo."
        )
    workflow = _workflow(docs)
    if workflow is None:
        raise DeployError(
            f"{path} is not an Argo Workflow (kind Workflow, apiVersion argoproj.io/v1alpha1); "
            f"compile one with `headrace compile PIPELINE.py -o {path.name}`."
        )
    return text, workflow


def _load(path: Path) -> tuple[str, list[Any]]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise DeployError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(text.encode()) > KFP_UPLOAD_LIMIT:
        raise DeployError(f"{path} is larger than the 32 MiB Kubeflow Pipelines accepts.")
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise DeployError(f"{path} is not YAML: {exc}") from exc
    return text, docs


def _workflow(docs: list[Any]) -> Any:
    """The file's Workflow: its one document, or the one Workflow beside a split pipeline's
    WorkflowTemplates (its parts); None if there is none."""
    workflows = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Workflow"]
    doc = workflows[0] if len(workflows) == 1 else (docs[0] if len(docs) == 1 else None)
    return doc if _is_workflow(doc) else None


def _is_workflow(doc: Any) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") == "Workflow"
            and doc.get("apiVersion") == "argoproj.io/v1alpha1")


def _ir_name(spec: dict[str, Any]) -> str | None:
    """The pipeline's own name (pipelineInfo holds it lower-cased with dashes), from the
    component definition Headrace's executors carry (`--definition=`): so both formats of one
    pipeline upload under one name."""
    for executor in spec.get("deploymentSpec", {}).get("executors", {}).values():
        for arg in executor.get("container", {}).get("args", []):
            if isinstance(arg, str) and arg.startswith(DEFINITION_FLAG):
                try:
                    name = json.loads(arg[len(DEFINITION_FLAG):]).get("pipeline")
                except (ValueError, AttributeError):
                    return None
                return name if isinstance(name, str) else None
    return None


def _v1_types(doc: dict[str, Any]) -> dict[str, str]:
    try:
        spec = json.loads(doc.get("metadata", {}).get("annotations", {}).get(PIPELINE_SPEC, "{}"))
    except ValueError:
        return {}
    return {i["name"]: _V1_TYPES.get(i.get("type", ""), "str") for i in spec.get("inputs", [])
            if isinstance(i, dict) and "name" in i}


def workflow_templates(text: str) -> list[dict[str, Any]]:
    """The WorkflowTemplates of a split pipeline's file (its parts), in file order."""
    return [d for d in yaml.safe_load_all(text)
            if isinstance(d, dict) and d.get("kind") == "WorkflowTemplate"]


def pipeline_info(doc: dict[str, Any]) -> tuple[str, str | None]:
    """The pipeline's name and description, from the KFP pipeline_spec annotation."""
    meta = doc.get("metadata", {})
    try:
        spec = json.loads(meta.get("annotations", {}).get(PIPELINE_SPEC, "{}"))
    except ValueError:
        spec = {}
    name = spec.get("name") or meta.get("name") or meta.get("generateName", "").rstrip("-")
    return name, spec.get("description")
