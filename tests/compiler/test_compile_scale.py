"""Compile at any scale (issue 13): with the limit check on, a 1,000-node fan-out and a 500-node
chain compile to one valid Workflow under 400 B of YAML per node, and 10,000 nodes split into a
parent and WorkflowTemplate parts that are each valid and within every Kubernetes limit."""

from __future__ import annotations

import json
from functools import cache

import jsonschema
import pytest
import yaml

from headrace.compiler import compile_workflow
from headrace.compiler.limits import pod_payloads
from tests.compiler.helpers import BASE
from tests.compiler.pipelines import chain, fan_out
from tests.compiler.schema_check import JSON_SCHEMAS, SCHEMAS, crd_problems, schema_errors

# libyaml's parser when PyYAML has it: the pure-Python one takes seconds per MB.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _compiled(shape, n: int):
    return compile_workflow(shape(n), BASE)  # the limit check is on


@cache
def _template_validator(name: str):
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft202012Validator(
        {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.WorkflowTemplate",
         "definitions": schema["definitions"]})


def _errors(doc, schema):
    if doc["kind"] == "Workflow":
        return schema_errors(doc, schema)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                  for e in _template_validator(schema).iter_errors(doc))


@pytest.mark.parametrize(("shape", "n"), [(fan_out, 1000), (chain, 500)])
def test_a_thousand_node_fan_out_and_a_500_node_chain_fit_one_workflow(shape, n):
    compiled = _compiled(shape, n)
    assert compiled.parts == 0
    assert not [m.what for m in compiled.measures if m.exceeded]
    doc = yaml.load(compiled.yaml, Loader=_LOADER)
    for schema in JSON_SCHEMAS:
        assert _errors(doc, schema) == []
    assert crd_problems(doc) == []
    per_node = len(compiled.yaml.encode()) / n
    assert per_node <= 300, per_node  # Hera 5: 355 B/node, kfp 1.8: 476 (the issue's figures)
    # One template per configuration: the source, and two for the shared nodes (with and
    # without a GPU), besides the DAG, the run step and the exit handler.
    assert len(doc["spec"]["templates"]) == 6


def test_ten_thousand_nodes_split_into_a_parent_and_parts_each_within_the_limits():
    compiled = _compiled(fan_out, 10_000)
    assert compiled.parts > 1
    assert not [m.what for m in compiled.measures if m.exceeded]
    docs = list(yaml.load_all(compiled.yaml, Loader=_LOADER))
    *parts, parent = docs
    assert {d["kind"] for d in parts} == {"WorkflowTemplate"} and parent["kind"] == "Workflow"
    assert compiled.document == parent and len(parts) == compiled.parts
    for doc in (parent, parts[0], parts[-1]):
        for schema in JSON_SCHEMAS:
            assert _errors(doc, schema) == []
        assert crd_problems(doc) == []
    # Every node runs in exactly one part, each step recording into the parent's run.
    tasks = [t for p in parts for t in p["spec"]["templates"][0]["dag"]["tasks"]]
    ids = [json.loads(t["arguments"]["parameters"][0]["value"])["id"] for t in tasks]
    assert len(ids) == len(set(ids)) == 10_000
    step = parts[1]["spec"]["templates"][1]["container"]
    assert "--run-id={{workflow.parameters.headrace-run-id}}" in step["args"]
    # The parent: the run step (the whole graph, once) and one resource template per part,
    # each creating a child Workflow of its part and waiting for its success; then the exit
    # handler, which stays with the parent.
    dag, run, *resources, exit_handler = parent["spec"]["templates"]
    assert exit_handler["name"] == parent["spec"]["onExit"]
    assert "onExit" not in parts[0]["spec"]
    assert run["name"] == "headrace-run" and len(resources) == len(parts)
    for resource, part in zip(resources, parts, strict=True):
        manifest = yaml.safe_load(resource["resource"]["manifest"])
        assert manifest["spec"]["workflowTemplateRef"] == {"name": part["metadata"]["name"]}
        assert {"name": "headrace-run-id", "value": "{{workflow.name}}"} in \
            manifest["spec"]["arguments"]["parameters"]
        assert resource["resource"]["successCondition"] == "status.phase == Succeeded"
        assert resource["resource"]["setOwnerReference"] is True
    # The fan-out's source is in part 1; every other part waits for it.
    assert all(t["dependencies"] == ["part-1"] for t in dag["dag"]["tasks"][2:])


def test_what_one_pod_receives_is_flat_up_to_ten_thousand_nodes():
    largest = {}
    for n in (20, 1000, 10_000):
        compiled = _compiled(fan_out, n)
        sizes = [size for doc in (compiled.documents or (compiled.document,))
                 for task, size in pod_payloads(doc)
                 if task != "headrace-run" and not task.startswith("part-")]
        largest[n] = max(sizes)
    assert max(largest.values()) < 1.1 * min(largest.values()), largest


def test_an_explicit_part_size_splits_a_small_pipeline_too():
    compiled = compile_workflow(chain(12), BASE.override(nodes_per_workflow=5))
    assert compiled.parts == 3
    dag = compiled.document["spec"]["templates"][0]["dag"]["tasks"]
    assert [(t["name"], t.get("dependencies")) for t in dag] == [
        ("headrace-run", None), ("part-1", None), ("part-2", ["part-1"]),
        ("part-3", ["part-2"])]
    with pytest.raises(Exception, match="nodes_per_workflow=0 must be a whole number"):
        BASE.override(nodes_per_workflow=0)


def test_a_split_file_reads_back_and_kfp_upload_says_what_to_do_instead(tmp_path):
    from headrace.compiler.errors import DeployError
    from headrace.compiler.kfp_upload import upload
    from headrace.compiler.workflow_file import read_workflow, workflow_templates

    compiled = compile_workflow(chain(12), BASE.override(nodes_per_workflow=5))
    path = tmp_path / "chain.yaml"
    path.write_text(compiled.yaml)
    text, doc = read_workflow(path)
    assert doc == compiled.document and len(workflow_templates(text)) == 3
    with pytest.raises(DeployError, match=r"split into 3 parts .* `headrace submit "):
        upload(path, host="http://127.0.0.1:9")
