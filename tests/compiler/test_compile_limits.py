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
    fan_out,
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
    assert "largest per-step payload (ARGO_TEMPLATE, expanded" in message
    assert "ARGO_TEMPLATE of step trainer" in message
    assert "argument node of task trainer (node 'Trainer'), mostly parameter 'custom_config'" \
        in message
    assert "move big parameter values into files under the pipeline root" in message
    # Only the node that holds it pays: the others' steps stay small.
    assert "annotations of the workflow" not in message


def test_limits_can_be_waived_and_are_still_measured():
    compiled = compile_workflow(_huge_parameter_pipeline(), BASE.override(enforce_limits=False))
    (value,) = [m for m in compiled.measures if m.what.startswith("largest per-step")]
    assert value.exceeded and value.size > VALUE_LIMIT
    assert value.contributors[0][1] >= value.contributors[-1][1]


def test_kfp_run_parameters_are_limited_to_10000_bytes_of_json():
    gen = CsvExampleGen(input_base=RuntimeParameter(name="input", ptype=str, default="x" * 11_000))
    with pytest.raises(WorkflowTooLarge, match=r"(?s)KFP run parameters \(JSON\): 10.\d KiB > "
                                               r"9.8 KiB[^-]*parameter input"):
        compile_workflow(build(Pipeline(name="p", components=[gen])), BASE)


def test_the_payload_estimate_is_the_template_expanded_as_argo_does():
    """Expand one step's template the way Argo does (the task's argument into `inputs` and
    every reference, then JSON as Go writes it) and compare with the measured payload."""
    import json

    from headrace.compiler.limits import pod_payloads
    from tests.compiler.helpers import task_of, template

    compiled = compile_workflow(penguin(), BASE)
    doc = compiled.document
    task, tmpl = task_of(doc, "Trainer"), template(doc, "Trainer")
    (argument,) = task["arguments"]["parameters"]
    values = {"inputs.parameters.node": argument["value"], "workflow.name": "x" * 63,
              **{f"workflow.parameters.{p['name']}": p["value"]
                 for p in doc["spec"]["arguments"]["parameters"]}}
    expanded = json.loads(json.dumps(tmpl))
    expanded["inputs"]["parameters"][0]["value"] = argument["value"]
    text = json.dumps(expanded, separators=(",", ":"), ensure_ascii=False)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(value)[1:-1])
    go = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert dict(pod_payloads(doc))[task["name"]] == len(go.encode())


def test_what_a_pod_receives_does_not_grow_with_the_pipeline():
    from headrace.compiler.limits import pod_payloads

    largest = {}
    for n in (20, 200, 1000):
        doc = compile_workflow(fan_out(n), BASE).document
        sizes = dict(pod_payloads(doc))
        sizes.pop("headrace-run")  # the run step: the compressed graph, a few bytes per node
        largest[n] = max(sizes.values())
    # Flat: at 20 nodes the largest is a GPU node's template of its own (it names its node).
    assert max(largest.values()) < 1.05 * min(largest.values()), largest
    assert abs(largest[200] - largest[1000]) <= 8, largest
