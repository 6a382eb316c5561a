"""Reading a compiled workflow file back (for upload and submit), with errors that say what is
wrong with the file rather than what the server would later say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from headrace.compiler.conventions import PIPELINE_SPEC
from headrace.compiler.errors import DeployError
from headrace.compiler.limits import KFP_UPLOAD_LIMIT


def read_workflow(path: str | Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed Workflow; DeployError if it is not one."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise DeployError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(text.encode()) > KFP_UPLOAD_LIMIT:
        raise DeployError(f"{path} is larger than the 32 MiB Kubeflow Pipelines accepts.")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DeployError(f"{path} is not YAML: {exc}") from exc
    if not (isinstance(doc, dict) and doc.get("kind") == "Workflow"
            and doc.get("apiVersion") == "argoproj.io/v1alpha1"):
        raise DeployError(
            f"{path} is not an Argo Workflow (kind Workflow, apiVersion argoproj.io/v1alpha1); "
            f"compile one with `headrace compile PIPELINE.py -o {path.name}`."
        )
    return text, doc


def pipeline_info(doc: dict[str, Any]) -> tuple[str, str | None]:
    """The pipeline's name and description, from the KFP pipeline_spec annotation."""
    meta = doc.get("metadata", {})
    try:
        spec = json.loads(meta.get("annotations", {}).get(PIPELINE_SPEC, "{}"))
    except ValueError:
        spec = {}
    name = spec.get("name") or meta.get("name") or meta.get("generateName", "").rstrip("-")
    return name, spec.get("description")
