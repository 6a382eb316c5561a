"""Test helpers: validate a workflow against Argo's JSON schemas, and check that every field is
known to the v4.1.2 Workflow CRD's structural schema (which the JSON schema cannot: it forbids no
unknown property, while the API server silently prunes them)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS = Path("/work/shared/schemas")
JSON_SCHEMAS = ("argo-workflows-v3.5.15.schema.json", "argo-workflows-v4.1.2.schema.json")
CRD = SCHEMAS / "argo-workflows-v4.1.2.crd-workflows.yaml"
# What the API server keeps of an object's metadata (ObjectMeta) on create.
OBJECT_META = {
    "name", "generateName", "namespace", "labels", "annotations", "finalizers",
    "ownerReferences",
}
_TYPES = {"string": str, "integer": int, "boolean": bool, "number": (int, float),
          "array": list, "object": dict}


@cache
def json_validators(name: str) -> tuple[Any, Any]:
    """The whole schema (a oneOf of Argo's kinds) and its Workflow definition alone, which
    reports errors at their path instead of one "not valid under any of the given schemas"."""
    schema = json.loads((SCHEMAS / name).read_text())
    workflow = {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow",
                "definitions": schema["definitions"]}
    return jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(workflow)


def schema_errors(doc: dict[str, Any], name: str) -> list[str]:
    """Every JSON-schema violation, with its path in the document."""
    found = []
    for validator in json_validators(name):
        found += [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                  for e in validator.iter_errors(doc)]
    return sorted(found)


@cache
def crd_schema() -> dict[str, Any]:
    crd = yaml.load(CRD.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return version["schema"]["openAPIV3Schema"]


def crd_problems(doc: Any) -> list[str]:
    """Fields unknown to the CRD's structural schema, and values of the wrong type."""
    problems: list[str] = []
    _walk(doc, crd_schema(), "", problems)
    return problems


def _walk(value: Any, schema: dict[str, Any], path: str, problems: list[str]) -> None:
    if value is None and schema.get("nullable"):
        return
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            problems.append(f"{path}: {value!r} is not an int or a string")
        return
    expected = schema.get("type")
    if expected:
        ok = isinstance(value, _TYPES[expected]) and not (
            expected in ("integer", "number") and isinstance(value, bool))
        if not ok:
            problems.append(f"{path}: {type(value).__name__} where the CRD wants {expected}")
            return
    if isinstance(value, dict):
        if path == "/metadata":  # the API server validates ObjectMeta itself
            problems += [f"{path}/{k}: unknown ObjectMeta field" for k in value
                         if k not in OBJECT_META]
            return
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties and key in properties:
                _walk(item, properties[key], f"{path}/{key}", problems)
            elif isinstance(extra, dict):
                _walk(item, extra, f"{path}/{key}", problems)
            elif extra is not True:
                problems.append(f"{path}/{key}: unknown field (the API server would prune it)")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}/{i}", problems)
