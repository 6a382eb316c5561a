"""TFX-API versions of the penguin and taxi pipelines (examples/tfx/) run and compile unchanged:
`python file.py` and `headrace run file.py` for penguin (cold, then from cache), the taxi file's
pipeline on a slice of its data through LocalDagRunner (cold, then from cache), and
KubeflowDagRunner's package against `headrace compile` of the same file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from headrace.dsl.loader import import_file, load_pipeline
from headrace.ir import build

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "tfx"
HEADRACE = str(Path(sys.executable).parent / "headrace")
UPSTREAM = ["CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform",
            "Trainer"]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _runs(url: str, cwd: Path) -> list[dict]:
    listed = json.loads(_run([HEADRACE, "runs", "list", "--metadata", url, "--json"], cwd).stdout)
    shown = []
    for row in reversed(listed):  # oldest first
        out = _run([HEADRACE, "runs", "show", row["run_id"], "--metadata", url, "--json"], cwd)
        shown.append({e["node_id"]: e for e in json.loads(out.stdout)["executions"]})
    return shown


@pytest.fixture(scope="module")
def penguin(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("penguin")
    _run([sys.executable, str(EXAMPLES / "penguin_pipeline_local.py")], cwd)  # LocalDagRunner
    _run([HEADRACE, "run", str(EXAMPLES / "penguin_pipeline_local.py")], cwd)
    url = f"sqlite://{cwd}/tfx/metadata/penguin_local/metadata.db"
    return cwd, _runs(url, cwd)


def test_penguin_file_runs_with_python_and_trains_blesses_pushes(penguin):
    cwd, (cold, _) = penguin
    assert {n: e["state"] for n, e in cold.items() if n in UPSTREAM} == dict.fromkeys(
        UPSTREAM, "COMPLETE")
    [blessing] = cold["Evaluator"]["outputs"]["blessing"]
    assert blessing["properties"]["blessed"] is True
    [pushed] = cold["Pusher"]["outputs"]["pushed_model"]
    destination = Path(pushed["properties"]["pushed_destination"])
    assert destination.parent == cwd / "tfx" / "serving_model" / "penguin_local"
    assert (destination / "saved_model.pb").exists()


def test_headrace_run_finds_the_same_pipeline_and_serves_it_from_cache(penguin):
    _, (cold, again) = penguin
    assert all(again[n]["state"] == "CACHED" for n in UPSTREAM), again
    assert again["Trainer"]["cached_from"] == cold["Trainer"]["execution_id"]
    [baseline] = again["latest_blessed_model_resolver"]["outputs"]["model"]
    assert baseline["id"] == cold["Trainer"]["outputs"]["model"][0]["id"]


def test_tfx_file_and_headrace_example_are_the_same_pipeline(tmp_path, monkeypatch):
    """Node for node, the TFX file builds what examples/penguin/pipeline.py builds."""
    monkeypatch.chdir(tmp_path)
    tfx_ir = build(load_pipeline(str(EXAMPLES / "penguin_pipeline_local.py")))
    own = import_file(str(REPO / "examples" / "penguin" / "pipeline.py"))
    own_ir = build(own.create_pipeline(str(tmp_path)))

    def shape(ir):
        return {n.id: (n.component, {p.name: p.value for p in n.parameters
                                     if p.name not in ("input_base", "push_destination")},
                       sorted((i.name, i.source_node, i.source_output) for i in n.inputs))
                for n in ir.nodes}

    assert shape(tfx_ir) == shape(own_ir)


def test_kubeflow_dag_runner_writes_the_workflow_where_tfx_did(tmp_path):
    _run([sys.executable, str(EXAMPLES / "penguin_pipeline_kubeflow.py")], tmp_path)
    from headrace.tfx.runners import read_package

    package = tmp_path / "penguin_kubeflow.tar.gz"  # TFX's default: {cwd}/{pipeline}.tar.gz
    text = read_package(str(package))
    _run([HEADRACE, "compile", str(EXAMPLES / "penguin_pipeline_kubeflow.py"), "-o", "wf.yaml"],
         tmp_path)
    assert (tmp_path / "wf.yaml").read_text() == text  # the runner config reached the CLI too
    workflow = yaml.safe_load(text)
    assert workflow["kind"] == "Workflow" and workflow["metadata"]["namespace"] == "kubeflow"
    from tests.compiler.helpers import node_templates

    steps = node_templates(workflow)
    assert len(steps) == 9  # one step per node (each a configuration of its own)
    for step in steps:
        container = step["container"]
        assert container["image"] == "registry.example.com/ml/headrace:1"
        assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
        env = {e["name"]: e for e in container.get("env", [])}
        assert env["API_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "penguin-secrets",
                                                                 "key": "token"}
        assert "--metadata=grpc://metadata-grpc-service.kubeflow:8080" in " ".join(
            container["command"] + container.get("args", []))
    from tests.compiler.schema_check import SCHEMAS, schema_errors

    if SCHEMAS.exists():
        assert schema_errors(workflow, "argo-workflows-v3.5.15.schema.json") == []


@pytest.fixture(scope="module")
def taxi(tmp_path_factory):
    from tfx import v1 as tfx

    base = tmp_path_factory.mktemp("taxi")
    data = base / "data"
    data.mkdir()
    with open(REPO / "examples" / "chicago_taxi" / "data" / "data.csv") as f:
        rows = list(csv.reader(f))[:3001]  # the header and 3,000 trips
    with open(data / "data.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    module = import_file(str(EXAMPLES / "taxi_pipeline_local.py"))

    def pipeline():
        return module._create_pipeline(
            pipeline_name="chicago_taxi_native_keras", pipeline_root=str(base / "root"),
            data_root=str(data), module_file=module._module_file,
            serving_model_dir=str(base / "serving"), metadata_path=str(base / "m.db"),
            beam_pipeline_args=module._beam_pipeline_args, train_steps=100, eval_steps=10)

    runner = tfx.orchestration.LocalDagRunner()
    cold, again = runner.run(pipeline()), runner.run(pipeline())
    compiled = tfx.orchestration.experimental.KubeflowDagRunner(
        output_dir=str(base), output_filename="taxi.yaml").run(pipeline())
    return cold, again, compiled


def test_taxi_file_runs_on_a_slice_and_again_from_cache(taxi):
    cold, again, _ = taxi
    assert cold.ok and again.ok
    assert {n: r.outcome for n, r in cold.results.items() if n in UPSTREAM} == dict.fromkeys(
        UPSTREAM, "executed")
    [examples] = cold.results["CsvExampleGen"].outputs["examples"]
    assert sum(json.loads(examples.properties["rows_per_split"]).values()) == 3000
    assert cold.results["Evaluator"].outputs["blessing"][0].properties["reason"]
    assert {n: r.outcome for n, r in again.results.items() if n in UPSTREAM} == dict.fromkeys(
        UPSTREAM, "cached")


def test_taxi_compiles_with_kubeflow_dag_runner(taxi):
    _, _, path = taxi
    assert os.path.basename(path) == "taxi.yaml"
    workflow = yaml.safe_load(Path(path).read_text())
    assert workflow["metadata"]["generateName"].startswith("chicago-taxi-native-keras")
    names = {t["name"] for t in workflow["spec"]["templates"]}
    assert {"csv-example-gen", "trainer", "evaluator", "pusher"} <= {
        n.split("--")[0] for n in names} | names
