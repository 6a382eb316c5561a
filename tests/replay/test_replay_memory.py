"""A step killed for memory is retried with more (the compiler's podSpecPatch over Argo's
`{{retries}}`), each attempt recording the memory it had; `headrace runs show` lists them.
Here the steps are processes (a step below its need kills itself as the kernel would); the
Docker test (test_replay_docker.py) has the kernel do it for real."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from headrace.metadata import open_store
from headrace.replay import Replay, TaskFailed

REPO = Path(__file__).resolve().parents[2]
MI = 2**20


def compile_hungry(tmp_path: Path, *extra: str, image: str = "unused:1") -> tuple[Path, str]:
    """The memory pipeline compiled for a root under tmp_path; (root, YAML text)."""
    directory = tmp_path / "hungry"
    directory.mkdir(exist_ok=True)
    shutil.copy(REPO / "tests" / "replay" / "memory_pipeline.py", directory / "pipeline.py")
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    out = tmp_path / f"hungry-{len(extra)}.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "headrace", "compile", str(directory / "pipeline.py"),
         "--image", image, "--pipeline-root", str(root), "--no-ui-metadata",
         "--retry-backoff", "1s", "-o", str(out), *extra],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode == 0, done.stderr
    return root, out.read_text()


def _replay(text: str, name: str, root: Path, database: str, **kwargs) -> Replay:
    return Replay(text, workflow_name=name, metadata=database, root=str(root), cwd=REPO,
                  secrets={"headrace-mysql": {"password": "unused"}}, **kwargs)


def _show(run_id: str, database: str) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", run_id, "--metadata", database],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    return " ".join(shown.stdout.split())


def test_the_template_patches_memory_per_retry(tmp_path):
    _, text = compile_hungry(tmp_path)
    (template,) = [t for t in yaml.safe_load(text)["spec"]["templates"]
                   if t["name"] == "hungry"]
    patch = json.loads(template["podSpecPatch"])
    limits = patch["containers"][0]["resources"]["limits"]["memory"]
    # Doubled per retry up to the default cap of 4x the declared 256Mi; retries 0 to 3.
    assert limits == "{{=['256Mi','512Mi','1Gi','1Gi'][sprig.int(retries)]}}"
    env = {e["name"]: e for e in template["container"]["env"]}
    assert env["HEADRACE_MEMORY_LIMIT"]["valueFrom"]["resourceFieldRef"] == {
        "containerName": "main", "resource": "limits.memory"}
    assert env["HEADRACE_ATTEMPT"]["value"] == "{{retries}}"
    assert "137" in template["retryStrategy"]["expression"]


def test_a_step_killed_for_memory_is_retried_with_more_and_runs_show_says_so(tmp_path):
    database = f"sqlite://{tmp_path}/mlmd.sqlite"
    root, text = compile_hungry(tmp_path, "--env", "HEADRACE_SIMULATE_OOM=1")
    runs = _replay(text, "hungry-1", root, database).run()
    (step,) = [r for r in runs if r.task == "hungry"]
    assert [a.exit_code for a in step.attempts] == [137, 0]
    executions = open_store(database).run_executions("hungry", "hungry-1")
    assert [(e.state, e.memory_limit, e.attempt) for e in executions] == [
        ("CANCELED", 256 * MI, 0), ("COMPLETE", 512 * MI, 1)]
    assert executions[0].exit_code == 137
    (model,) = executions[1].outputs["model"]
    assert json.loads((Path(model.uri) / "held.json").read_text()) == {
        "megabytes": 384, "limit": 512 * MI}
    shown = _show("hungry-1", database)
    assert ("hungry: attempt 1: 256Mi, killed, most likely for memory (exit 137); "
            "attempt 2: 512Mi, COMPLETE") in shown


def test_the_cap_holds_and_the_last_attempt_is_marked_by_the_exit_handler(tmp_path):
    database = f"sqlite://{tmp_path}/mlmd.sqlite"
    root, text = compile_hungry(tmp_path, "--env", "HEADRACE_SIMULATE_OOM=1",
                                "--memory-retry-cap", "320Mi", "--retry-limit", "2")
    with pytest.raises(TaskFailed, match="exit code 137"):
        _replay(text, "hungry-capped", root, database).run()
    executions = open_store(database).run_executions("hungry", "hungry-capped")
    assert [(e.state, e.memory_limit) for e in executions] == [
        ("CANCELED", 256 * MI), ("CANCELED", 320 * MI), ("FAILED", 320 * MI)]
    shown = _show("hungry-capped", database)
    assert ("attempt 1: 256Mi, killed, most likely for memory (exit 137); attempt 2: 320Mi, "
            "killed, most likely for memory (exit 137); attempt 3: 320Mi, killed, most likely "
            "for memory (exit 137), FAILED") in shown


@pytest.mark.parametrize(("flags", "message"), [
    (("--memory-retry-factor", "1"), r"--memory-retry-factor=1\.0 .* must be a number above 1"),
    (("--memory-retry-factor", "0.5"), r"--memory-retry-factor=0\.5 .* above 1"),
    (("--memory-retry-cap", "128Mi"),
     r"Node 'hungry' .*--memory-retry-cap=128Mi .* below the step's declared memory limit 256Mi"),
    (("--memory-retry-cap", "0.5x"), r"--memory-retry-cap=0\.5x .* below 1x"),
    (("--memory-retry-cap", "plenty"), r"--memory-retry-cap='plenty' .* neither a multiple"),
])
def test_bad_memory_retry_flags_say_which_flag(tmp_path, flags, message):
    import re

    directory = tmp_path / "hungry"
    directory.mkdir()
    shutil.copy(REPO / "tests" / "replay" / "memory_pipeline.py", directory / "pipeline.py")
    done = subprocess.run(
        [sys.executable, "-m", "headrace", "compile", str(directory / "pipeline.py"),
         "--image", "unused:1", "-o", str(tmp_path / "out.yaml"), *flags],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode != 0
    assert re.search(message, " ".join(done.stderr.split())), done.stderr
    assert not (tmp_path / "out.yaml").exists()
