"""Kubeflow Pipelines conventions a v1 (Argo) pipeline follows so that the KFP UI shows it well:
display names, the SDK-type label, the pipeline_spec annotation, KFP's own cache turned off."""

from __future__ import annotations

import json
from typing import Any

from headrace.ir import PipelineIR

TASK_DISPLAY_NAME = "pipelines.kubeflow.org/task_display_name"
SDK_TYPE_LABEL = "pipelines.kubeflow.org/pipeline-sdk-type"
SDK_TYPE = "headrace"
PIPELINE_SPEC = "pipelines.kubeflow.org/pipeline_spec"
# KFP's v1 cache webhook reuses a pod's outputs when this label is "true"; Headrace caches in
# ML Metadata with its own, stricter rules, so KFP's must stay off.
KFP_CACHE_LABEL = "pipelines.kubeflow.org/cache_enabled"

_KFP_TYPES = {"int": "Integer", "float": "Float", "str": "String", "bool": "Bool",
              "dict": "JsonObject", "list": "JsonArray"}


def pipeline_spec(ir: PipelineIR, parameters: list[dict[str, Any]]) -> str:
    """The annotation KFP's UI reads for a v1 pipeline's name, description and inputs."""
    inputs = [
        {"name": p.name, "type": _KFP_TYPES.get(p.type_name, "String"), "default": value["value"]}
        for p, value in zip(ir.runtime_parameters, parameters, strict=True)
    ]
    spec: dict[str, Any] = {"name": ir.name}
    if ir.description:
        spec["description"] = ir.description
    if inputs:
        spec["inputs"] = inputs
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def pod_labels() -> dict[str, str]:
    return {SDK_TYPE_LABEL: SDK_TYPE, KFP_CACHE_LABEL: "false"}
