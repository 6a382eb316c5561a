"""Container components compiled: three tasks per node (headrace driver, the user's image,
headrace publisher), and the compiled workflow executed step by step by the harness (the user's
step as a local process) against MariaDB-backed ML Metadata: outputs, properties, a cached run
that skips the container steps, a failing container."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from headrace.compiler import CompileOptions, SecretRef, compile_pipeline
from headrace.compiler.container_step import EXECUTE
from headrace.entrypoint import container_phases
from headrace.ir import build
from headrace.replay import TaskFailed, run_workflow
from tests.compiler.helpers import compile_doc, template
from tests.compiler.pipelines import REPO, containers
from tests.support import custom_components

SECRET = SecretRef(name="mlmd-mysql", key="password")


def _tasks(doc):
    """The DAG's tasks but the run step (which records the run graph)."""
    return {t["name"]: t for t in doc["spec"]["templates"][0]["dag"]["tasks"]
            if t["name"] != "headrace-run"}


def test_a_container_node_becomes_driver_user_step_and_publisher():
    doc = compile_doc(containers())
    tasks = _tasks(doc)
    assert list(tasks) == [
        "write-words",
        "count-lines-driver",
        "count-lines",
        "count-lines-publish",
        "shout-driver",
        "shout",
        "shout-publish",
        "count-words",
    ]
    assert tasks["count-lines-driver"]["dependencies"] == ["write-words"]
    assert tasks["count-lines"]["dependencies"] == ["count-lines-driver"]
    assert tasks["count-lines"]["when"] == (
        "{{tasks.count-lines-driver.outputs.parameters.execute}} == true"
    )
    assert tasks["count-lines-publish"]["dependencies"] == ["count-lines"]
    assert tasks["count-words"]["dependencies"] == ["shout-publish"]  # outputs are published

    user = template(doc, "CountLines")
    container = user["container"]
    assert container["image"] == "python:3.11-slim"
    assert container["command"][:2] == ["python", "-c"]
    # Literal items stay literal; each placeholder item is a parameter the driver resolves.
    assert container["args"][:4] == [
        "--words",
        "{{inputs.parameters.arg-1}}",
        "--out",
        "{{inputs.parameters.arg-3}}",
    ]
    passed = {p["name"]: p["value"] for p in tasks["count-lines"]["arguments"]["parameters"]}
    assert passed["arg-1"] == "{{tasks.count-lines-driver.outputs.parameters.arg-1}}"
    assert [p["name"] for p in user["inputs"]["parameters"]] == list(passed)
    # The node's resources and GPUs go to the user's step; no metadata password reaches it.
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}
    assert "HEADRACE_MYSQL_PASSWORD" not in json.dumps(container)
    # Argo's errors (pod lost) and a kill for memory (137, with more memory) only.
    assert user["retryStrategy"]["retryPolicy"] == "Always"
    assert user["retryStrategy"]["expression"] == (
        'lastRetry.status == "Error" or asInt(lastRetry.exitCode) in [137]')
    assert "podSpecPatch" in user

    driver = template(doc, "CountLines (driver)")
    assert driver["container"]["image"] == "registry.example.com/headrace:1.0"
    assert "--phase=container-driver" in driver["container"]["args"]
    declared = [p["name"] for p in driver["outputs"]["parameters"]]
    assert declared == [container_phases.EXECUTE, *passed]
    assert "nvidia.com/gpu" not in driver["container"]["resources"]["limits"]
    publisher = template(doc, "CountLines (publish)")
    assert "--phase=container-publisher" in publisher["container"]["args"]
    assert publisher["outputs"]["artifacts"][0]["name"] == "mlpipeline-ui-metadata"


def test_items_that_argo_would_read_as_its_own_tags_go_through_the_driver_too():
    from headrace import Pipeline, container_component
    from headrace.dsl import OutputUri
    from headrace.types import Model

    render = container_component(
        name="Render",
        image="tools:1",
        command=["render"],
        args=["--template", "{{ name }}", "--out", OutputUri("model")],
        outputs={"model": Model},
    )
    doc = compile_doc(build(Pipeline(name="p", components=[render()])))
    assert template(doc, "Render")["container"]["args"] == [
        "--template",
        "{{inputs.parameters.arg-1}}",
        "--out",
        "{{inputs.parameters.arg-3}}",
    ]


def test_the_compiler_and_the_entrypoint_agree_on_the_execute_parameter():
    assert EXECUTE == container_phases.EXECUTE


def _options(tmp_path, mysql_url) -> CompileOptions:
    root = tmp_path / "pipelines"
    root.mkdir(exist_ok=True)
    return CompileOptions(
        image="headrace:test",
        pipeline_root=str(root),
        root_volume_claim="headrace-pipelines",
        metadata=mysql_url,
        mysql_password_secret=SECRET,
        ui_metadata_path=str(tmp_path / "ui" / "mlpipeline-ui-metadata.json"),
        driver_outputs_dir=str(tmp_path / "driver"),
    )


def _run(text: str, name: str):
    return run_workflow(
        text,
        workflow_name=name,
        cwd=REPO,
        secrets={SECRET.name: {SECRET.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}},
    )


def _show(run_name: str, mysql_url: str) -> dict:
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "runs",
            "show",
            run_name,
            "--metadata",
            mysql_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return {e["node_id"]: e for e in json.loads(shown.stdout)["executions"]}


@pytest.mark.mysql
def test_the_compiled_containers_run_and_a_second_run_skips_them(tmp_path, mysql_url):
    text = compile_pipeline(containers(gpu=0), _options(tmp_path, mysql_url))
    runs = _run(text, "custom-components-a1b2c")
    assert runs[-1].exit_handler
    runs = runs[:-1]
    assert [r.task for r in runs] == ["headrace-run", *_tasks(compile_doc(containers(gpu=0)))]
    assert not any(r.skipped for r in runs)
    user = next(r for r in runs if r.task == "count-lines")
    assert user.argv[:2] == ["python", "-c"]  # the user's own command, placeholders resolved
    assert user.argv[4] == f"{tmp_path}/pipelines/custom-components/write_words/examples/1"
    assert user.argv[9] == "--label=run-x"
    publish = next(r for r in runs if r.task == "count-lines-publish")
    ui = publish.ui_metadata["outputs"][0]  # written by the publisher, which knows the result
    assert "## CountLines" in ui["source"] and "executed" in ui["source"]

    executions = _show("custom-components-a1b2c", mysql_url)
    assert {n: e["state"] for n, e in executions.items()} == dict.fromkeys(
        ["write_words", "CountLines", "shout", "CountWords"], "COMPLETE"
    )
    [statistics] = executions["CountLines"]["outputs"]["statistics"]
    assert statistics["properties"] == {"lines": 5, "label": "run-x"}
    with open(os.path.join(statistics["uri"], "lines.json")) as f:
        assert json.load(f) == {"lines": 5, "label": "run-x"}
    [words] = executions["CountWords"]["outputs"]["statistics"]
    assert words["properties"] == {"words": 30}  # read what the shout container wrote

    again = _run(text, "custom-components-d3e4f")[:-1]
    assert {r.task for r in again if r.skipped} == {"count-lines", "shout"}
    cached = _show("custom-components-d3e4f", mysql_url)
    assert {n: e["state"] for n, e in cached.items()} == dict.fromkeys(
        ["write_words", "CountLines", "shout", "CountWords"], "CACHED"
    )
    assert cached["CountLines"]["outputs"]["statistics"][0]["uri"] == statistics["uri"]


@pytest.mark.mysql
def test_a_failing_container_step_fails_the_workflow_without_a_retry(tmp_path, mysql_url):
    failing = build(custom_components.create_pipeline(fail_container=True))
    text = compile_pipeline(failing, _options(tmp_path, mysql_url))
    with pytest.raises(TaskFailed, match="asked to fail: run-x") as caught:
        _run(text, "custom-components-f0f0f")
    assert caught.value.task == "count-lines" and caught.value.exit_code == 1
    assert len(caught.value.run.attempts) == 1  # a program error: OnError does not retry it
    executions = _show("custom-components-f0f0f", mysql_url)
    # Started by the driver, never published; the exit handler marked it with Argo's reason.
    assert executions["CountLines"]["state"] == "FAILED"
    assert executions["CountLines"]["error"].startswith(
        "workflow ended Failed: step count-lines failed: Error (exit code 1)")
    assert caught.value.runs[-1].exit_handler and caught.value.runs[-1].succeeded
