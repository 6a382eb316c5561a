"""Edges of the IR's JSON contract: versions, missing fields, non-finite numbers."""

from __future__ import annotations

import json

import pytest

from headrace import Output, Parameter, Pipeline, component
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR, build
from headrace.types import Examples


@component
def gen(examples: Output[Examples], rate: Parameter[float] = 0.5, extra: Parameter[dict] = {}):  # noqa: B006
    pass


def test_other_schema_version_is_refused_with_advice():
    data = json.loads(build(Pipeline(name="p", components=[gen()])).to_json())
    data["schema_version"] = 99
    with pytest.raises(DefinitionError, match=r"schema version 99.*Compile the pipeline again"):
        PipelineIR.from_json(json.dumps(data))


def test_missing_field_is_a_definition_error():
    data = json.loads(build(Pipeline(name="p", components=[gen()])).to_json())
    del data["nodes"][0]["component"]
    with pytest.raises(DefinitionError, match=r"NodeIR is incomplete.*component"):
        PipelineIR.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "kwargs", [{"rate": float("nan")}, {"rate": float("inf")}, {"extra": {"x": float("nan")}}]
)
def test_non_finite_numbers_are_refused(kwargs):
    with pytest.raises(DefinitionError, match=r"'gen'.*(finite|JSON)"):
        build(Pipeline(name="p", components=[gen(**kwargs)]))
