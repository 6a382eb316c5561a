"""The Workflow as a whole: Argo structure, each step carrying its own node (and nothing of the
compiling machine), the run step, retries, timeouts, KFP conventions, runtime parameters, and
byte-identical output."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from headrace.compiler import BeamOptions, compile_pipeline, compile_workflow
from tests.compiler.helpers import (
    BASE,
    compile_doc,
    env_of,
    flags,
    node_templates,
    task_of,
    template,
)
from tests.compiler.pipelines import REPO, fan_out, penguin

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PARAMETER_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")


@pytest.fixture(scope="module")
def doc():
    return compile_doc(penguin())


def test_it_is_a_workflow_with_a_generated_name_and_a_dag_entrypoint(doc):
    assert doc["apiVersion"] == "argoproj.io/v1alpha1" and doc["kind"] == "Workflow"
    assert doc["metadata"]["generateName"] == "penguin-simple-"
    templates = doc["spec"]["templates"]
    assert templates[0]["name"] == doc["spec"]["entrypoint"] and "dag" in templates[0]
    assert templates[-1]["name"] == doc["spec"]["onExit"] == "headrace-exit-handler"
    assert [t["container"]["command"] for t in templates[1:-1]] == \
        [["python", "-m", "headrace.entrypoint"]] * 6  # the run step and the five nodes
    for task in templates[0]["dag"]["tasks"]:
        assert "depends" not in task  # the KFP UI draws edges only from `dependencies`


def test_a_template_of_its_own_per_distinct_node_with_valid_unique_names(doc):
    ir = penguin()
    tasks = doc["spec"]["templates"][0]["dag"]["tasks"]
    names = [t["name"] for t in doc["spec"]["templates"]]
    # The DAG, the run step, and one per node: the penguin's five nodes all differ.
    # The DAG, the run step, one per node and the exit handler.
    assert len(names) == len(set(names)) == len(ir.nodes) + 3
    assert all(NAME.match(n) and len(n) <= 63 for n in names)
    assert [t["template"] for t in tasks] == names[1:-1]
    for node, t in zip(ir.nodes, tasks[1:], strict=True):
        (argument,) = t["arguments"]["parameters"]
        assert argument["name"] == "node" and json.loads(argument["value"])["id"] == node.id
        container = template(doc, node.id)["container"]
        assert flags(container, "instance") == ["{{inputs.parameters.node}}"]
        assert flags(container, "run-id") == ["{{workflow.name}}"]


def test_nodes_of_one_configuration_share_one_template_and_tasks_carry_the_node():
    ir = fan_out(30, gpu_every=1000)  # a source and 29 identical StatisticsGen nodes
    doc = compile_doc(ir)
    dag, _run, *templates, _exit = doc["spec"]["templates"]
    assert [t["name"] for t in templates] == ["n0000", "statistics-gen"]
    tasks = {t["name"]: t for t in dag["dag"]["tasks"]}
    assert [t["template"] for t in list(tasks.values())[2:]] == ["statistics-gen"] * 29
    # The KFP UI: edges from `dependencies`, each node shown by its task name (the node id as
    # a Kubernetes name); a shared template names no single node.
    assert tasks["n0007"]["dependencies"] == ["n0000"]
    assert "annotations" not in templates[1]["metadata"]
    instance = json.loads(tasks["n0007"]["arguments"]["parameters"][0]["value"])
    assert instance == {"id": "n0007", "inputs": {"examples": ["n0000", "examples"]}}
    # Nodes that differ (here: a GPU) get a template of their own configuration.
    mixed = compile_doc(fan_out(30, gpu_every=10))
    assert len(node_templates(mixed)) == 3
    assert {task_of(mixed, "n0010")["template"], task_of(mixed, "n0011")["template"]} == {
        "statistics-gen", "statistics-gen-2"}


def test_the_workflow_carries_nothing_of_the_compiling_machine(tmp_path):
    import dataclasses

    local = dataclasses.replace(penguin(), root=str(tmp_path / "my-checkout" / "root"),
                                metadata=f"sqlite:///{tmp_path}/my-checkout/mlmd.sqlite")
    text = compile_pipeline(local, BASE)
    assert str(tmp_path) not in text and "my-checkout" not in text
    assert "defined_at" not in text and "tests/compiler/pipelines.py" not in text
    assert "headrace.dev/ir" + ":" not in text  # the IR (with its paths) is not in the YAML
    doc = compile_doc(local)
    assert {tuple(flags(t["container"], "root")) for t in node_templates(doc)} == {
        ("/mnt/pipelines",)}


def test_the_run_step_records_the_graph_from_the_compressed_annotation(doc):
    from headrace.ir import decode_graph

    ir = penguin()
    graph = decode_graph(doc["metadata"]["annotations"]["headrace.dev/graph"])
    assert graph == [{"id": n.id, "component": n.component, "upstream": n.upstream,
                      "kind": n.kind} for n in ir.nodes]
    run = doc["spec"]["templates"][1]
    assert run["name"] == "headrace-run"
    assert env_of(run["container"])["HEADRACE_GRAPH"] == \
        "{{workflow.annotations.headrace.dev/graph}}"
    assert flags(run["container"], "phase") == ["run"]
    # No node step records it (nor waits for the run step), and none receives the graph.
    tasks = doc["spec"]["templates"][0]["dag"]["tasks"]
    assert all("headrace-run" not in t.get("dependencies", []) for t in tasks)
    for t in node_templates(doc):
        assert "headrace.dev/graph" not in json.dumps(t)


def test_retries_only_for_exit_codes_that_mean_infrastructure_trouble(doc):
    from headrace.launcher import exit_codes

    strategy = template(doc, "Trainer")["retryStrategy"]
    codes = re.search(r"asInt\(lastRetry\.exitCode\) in \[([0-9, ]+)\]", strategy["expression"])
    assert tuple(int(c) for c in codes.group(1).split(",")) == exit_codes.RETRYABLE
    assert str(exit_codes.USER_ERROR) not in strategy["expression"]
    assert 'lastRetry.status == "Error"' in strategy["expression"]  # evicted, node lost
    assert strategy["retryPolicy"] == "Always" and strategy["limit"] == "3"
    assert "retryStrategy" not in template(compile_doc(penguin(), retry_limit=0), "Trainer")


def test_timeouts_and_pod_gc(doc):
    assert doc["spec"]["activeDeadlineSeconds"] == 3 * 24 * 3600
    assert doc["spec"]["podGC"] == {"strategy": "OnWorkflowSuccess"}
    assert all(t["activeDeadlineSeconds"] == "86400" for t in node_templates(doc))
    lean = compile_doc(penguin(), step_timeout_seconds=None, workflow_timeout_seconds=None,
                       pod_gc=None)
    assert "activeDeadlineSeconds" not in lean["spec"] and "podGC" not in lean["spec"]
    assert "activeDeadlineSeconds" not in template(lean, "Trainer")


def test_kubeflow_conventions(doc):
    meta = doc["metadata"]
    assert meta["labels"]["pipelines.kubeflow.org/pipeline-sdk-type"] == "headrace"
    pod_labels = doc["spec"]["podMetadata"]["labels"]
    assert pod_labels["pipelines.kubeflow.org/pipeline-sdk-type"] == "headrace"
    assert pod_labels["pipelines.kubeflow.org/cache_enabled"] == "false"
    spec = json.loads(meta["annotations"]["pipelines.kubeflow.org/pipeline_spec"])
    assert spec == {
        "name": "penguin_simple",
        "description": "The penguin example's shape: TFX-style components on Argo.",
        "inputs": [{"name": "threshold", "type": "Float", "default": "0.7"},
                   {"name": "train-steps", "type": "Integer", "default": "200"}],
    }
    for t in node_templates(doc):
        display = t["metadata"]["annotations"]["pipelines.kubeflow.org/task_display_name"]
        task = next(task for task in doc["spec"]["templates"][0]["dag"]["tasks"]
                    if task["template"] == t["name"])
        assert json.loads(task["arguments"]["parameters"][0]["value"])["id"] == display
        (artifact,) = t["outputs"]["artifacts"]
        assert artifact["name"] == "mlpipeline-ui-metadata"
        assert flags(t["container"], "ui-metadata") == [artifact["path"]]
    plain = compile_doc(penguin(), ui_metadata=False)
    assert "outputs" not in template(plain, "Trainer")
    assert flags(template(plain, "Trainer")["container"], "ui-metadata") == []


def test_runtime_parameters_become_workflow_parameters_that_reach_their_steps(doc):
    parameters = doc["spec"]["arguments"]["parameters"]
    assert [(p["name"], p["value"]) for p in parameters] == [("threshold", "0.7"),
                                                            ("train-steps", "200")]
    assert all(PARAMETER_NAME.match(p["name"]) for p in parameters)
    assert flags(template(doc, "Trainer")["container"], "runtime-param") == [
        "train-steps={{workflow.parameters.train-steps}}"]
    assert flags(template(doc, "Evaluator")["container"], "runtime-param") == [
        "threshold={{workflow.parameters.threshold}}"]
    assert flags(template(doc, "SchemaGen")["container"], "runtime-param") == []


def test_string_runtime_defaults_are_json_so_they_survive_exactly():
    from headrace import Pipeline, RuntimeParameter
    from headrace.ir import build
    from tests.compiler.pipelines import CsvExampleGen

    gen = CsvExampleGen(input_base=RuntimeParameter(name="input", ptype=str, default="123"))
    doc = compile_doc(build(Pipeline(name="s", components=[gen])))
    assert doc["spec"]["arguments"]["parameters"][0]["value"] == '"123"'


def test_no_secret_value_reaches_the_yaml(monkeypatch):
    monkeypatch.setenv("HEADRACE_MYSQL_PASSWORD", "s3cr3t-value")
    text = compile_workflow(penguin(), BASE).yaml
    assert "s3cr3t-value" not in text
    assert "secretKeyRef" in text


def test_same_input_gives_byte_identical_yaml_across_processes():
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.compiler.pipelines import penguin;"
        "from tests.compiler.helpers import BASE;"
        "from headrace.compiler import compile_pipeline;"
        "sys.stdout.write(compile_pipeline(penguin(), BASE))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       cwd=REPO, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert outputs == {compile_pipeline(penguin(), BASE)}


def test_warnings_point_at_what_may_fail_in_the_cluster():
    import dataclasses

    from headrace.ir import ExecutorRef

    ir = penguin()
    first = dataclasses.replace(ir.nodes[0], executor=ExecutorRef(
        module="_headrace_pipeline", qualname="CsvExampleGen", file="/home/me/pipeline.py"))
    ir = dataclasses.replace(ir, nodes=(first, *ir.nodes[1:]))
    compiled = compile_workflow(ir, BASE.override(
        beam=BeamOptions(runner="flink", job_endpoint="flink:8099", worker_pool="step")))
    assert any("loaded from the file /home/me/pipeline.py; the image must hold that file" in w
               for w in compiled.warnings)
    assert any("asks for 2 GPU(s) but runs the CPU image" in w for w in compiled.warnings)
    assert any("serves only a job service running in that pod" in w for w in compiled.warnings)


def test_step_arguments_parse_with_the_entrypoints_own_parser(doc):
    main = pytest.importorskip("headrace.entrypoint.main",
                               reason="the container entrypoint is not written yet")
    for t in doc["spec"]["templates"][1:-1]:
        args = main._parser().parse_args(t["container"]["args"])
        assert args.run_id == "{{workflow.name}}"
        assert (args.phase, args.graph_env) == ("run", "HEADRACE_GRAPH") or (
            args.instance == "{{inputs.parameters.node}}" and json.loads(args.definition))


def test_host_network_puts_every_pod_of_the_workflow_and_its_parts_on_the_nodes_network():
    assert "hostNetwork" not in compile_doc(fan_out(3, gpu_every=1000))["spec"]
    doc = compile_doc(fan_out(3, gpu_every=1000), host_network=True)
    assert doc["spec"]["hostNetwork"] is True
    assert doc["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"  # Service names still resolve
    split = compile_workflow(fan_out(6, gpu_every=1000),
                             dataclasses.replace(BASE, host_network=True, nodes_per_workflow=3))
    parts = [d for d in yaml.safe_load_all(split.yaml) if d and d["kind"] == "WorkflowTemplate"]
    assert parts and all(p["spec"]["hostNetwork"] is True for p in parts)


def test_a_kfp_v2_spec_refuses_host_network_and_says_where_it_works():
    from headrace.compiler.kfp_v2 import compile_kfp
    from headrace.errors import DefinitionError

    refused = r"host_network=True \(`--host-network`\).*--format argo"
    with pytest.raises(DefinitionError, match=refused):
        compile_kfp(fan_out(3, gpu_every=1000), dataclasses.replace(BASE, host_network=True))
