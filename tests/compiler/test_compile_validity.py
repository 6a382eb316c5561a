"""Every compiled example validates against Argo's JSON schemas (v3.5.15 and v4.1.2), has no
field unknown to the v4.1.2 Workflow CRD, and matches its golden YAML.

Regenerate the golden files with HEADRACE_UPDATE_GOLDEN=1 (then review the diff).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from headrace.compiler import compile_pipeline
from tests.compiler.cases import GOLDEN, MORE
from tests.compiler.schema_check import JSON_SCHEMAS, crd_problems, schema_errors

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HEADRACE_UPDATE_GOLDEN") == "1"
CASES = {**GOLDEN, **MORE}


@pytest.fixture(scope="module", params=sorted(CASES))
def compiled(request):
    ir, options = CASES[request.param]()
    text = compile_pipeline(ir, options)
    return request.param, text, yaml.safe_load(text)


@pytest.mark.parametrize("schema", JSON_SCHEMAS)
def test_validates_against_the_argo_json_schema(compiled, schema):
    _, _, doc = compiled
    assert schema_errors(doc, schema) == []


def test_every_field_is_known_to_the_v4_crd(compiled):
    _, _, doc = compiled
    assert crd_problems(doc) == []


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_matches_its_golden_yaml(case):
    ir, options = GOLDEN[case]()
    text = compile_pipeline(ir, options)
    path = GOLDEN_DIR / f"{case}.yaml"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run with HEADRACE_UPDATE_GOLDEN=1"
    assert text == path.read_text(), (
        f"{case} compiles differently from {path}; if the change is intended, regenerate with "
        f"HEADRACE_UPDATE_GOLDEN=1 and review the diff"
    )


def test_the_crd_check_catches_unknown_fields_and_wrong_types(compiled):
    _, _, doc = compiled
    broken = copy.deepcopy(doc)
    step = broken["spec"]["templates"][1]
    step["contianer"] = step.pop("container")
    step["retryStrategy"] = {"limit": True}
    broken["spec"]["templates"][0]["dag"]["tasks"][0]["dependencies"] = "a"
    broken["metadata"]["generatedName"] = "x-"
    problems = crd_problems(broken)
    assert "/spec/templates/1/contianer: unknown field (the API server would prune it)" in problems
    assert "/spec/templates/1/retryStrategy/limit: True is not an int or a string" in problems
    assert "/spec/templates/0/dag/tasks/0/dependencies: str where the CRD wants array" in problems
    assert "/metadata/generatedName: unknown ObjectMeta field" in problems


def test_the_json_schema_check_catches_wrong_types(compiled):
    _, _, doc = compiled
    broken = copy.deepcopy(doc)
    broken["spec"]["templates"][1]["container"]["resources"]["limits"]["cpu"] = 2
    for schema in JSON_SCHEMAS:
        assert any("resources/limits/cpu" in e for e in schema_errors(broken, schema))
