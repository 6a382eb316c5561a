"""Compile measures the workflow against the cluster limits and names the biggest contributors."""

from __future__ import annotations

import pytest

from headrace import Pipeline, RuntimeParameter
from headrace.compiler import WorkflowTooLarge, compile_workflow
from headrace.compiler.limits import VALUE_LIMIT
from headrace.ir import build
from tests.compiler.helpers import BASE
from tests.compiler.pipelines import (
    CsvExampleGen,
    SchemaGen,
    StatisticsGen,
    Trainer,
    chain,
    penguin,
)


def test_a_normal_pipeline_is_well_within_every_limit():
    compiled = compile_workflow(penguin(), BASE)
    assert {m.what: m.exceeded for m in compiled.measures} == dict.fromkeys(
        (m.what for m in compiled.measures), False)
    assert all(m.size < m.limit / 4 for m in compiled.measures)


def _huge_parameter_pipeline():
    gen = CsvExampleGen()
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    trainer = Trainer(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      custom_config={"vocabulary": ["word"] * 40_000})
    return build(Pipeline(name="big", components=[gen, stats, schema, trainer]))


def test_a_huge_parameter_fails_naming_the_node_and_parameter():
    with pytest.raises(WorkflowTooLarge) as caught:
        compile_workflow(_huge_parameter_pipeline(), BASE)
    message = str(caught.value)
    assert "largest single argument or env value of a step" in message
    assert "annotations of the workflow" in message
    assert "IR of node 'Trainer', mostly parameter 'custom_config'" in message
    assert "move big parameter values into files under the pipeline root" in message


def test_limits_can_be_waived_and_are_still_measured():
    compiled = compile_workflow(_huge_parameter_pipeline(), BASE.override(enforce_limits=False))
    (value,) = [m for m in compiled.measures if m.what.startswith("largest single")]
    assert value.exceeded and value.size > VALUE_LIMIT
    assert value.contributors[0][1] >= value.contributors[-1][1]


def test_kfp_run_parameters_are_limited_to_10000_bytes_of_json():
    gen = CsvExampleGen(input_base=RuntimeParameter(name="input", ptype=str, default="x" * 11_000))
    with pytest.raises(WorkflowTooLarge, match=r"(?s)KFP run parameters \(JSON\): 10.\d KiB > "
                                               r"9.8 KiB[^-]*parameter input"):
        compile_workflow(build(Pipeline(name="p", components=[gen])), BASE)


def test_too_many_steps_name_the_run_status_and_the_ir():
    with pytest.raises(WorkflowTooLarge, match=r"(?s)workflow object .*run status, about 600 B per "
                                               r"step") as caught:
        compile_workflow(chain(500), BASE)
    assert "the pipeline IR (annotation)" in str(caught.value)


def test_argo_template_estimate_counts_the_ir_escaped_as_go_does():
    ir = penguin()
    compiled = compile_workflow(ir, BASE)
    (value,) = [m for m in compiled.measures if m.what.startswith("largest single")]
    # The Trainer's template plus the IR (its quotes escaped) is the largest value of all.
    assert value.size > len(ir.to_json()) + ir.to_json().count('"')
