"""`headrace replay` and `headrace image build --context` without Docker: bad input gets one
clear line; a user image's content-hash name follows the directory's files, not its outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from headrace import user_image
from headrace.cli import main

REPO = Path(__file__).resolve().parents[2]


def _workflow(tmp_path: Path, on_exit: bool = True) -> Path:
    log = tmp_path / "log"
    record = "import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')"
    step = {"image": "x", "command": [sys.executable, "-c", record]}
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "t-"},
        "spec": {
            "entrypoint": "dag",
            "templates": [
                {
                    "name": "dag",
                    "dag": {
                        "tasks": [
                            {"name": "a", "template": "a"},
                            {"name": "b", "template": "b", "dependencies": ["a"]},
                        ]
                    },
                },
                {
                    "name": "a",
                    "container": {
                        **step,
                        "args": [str(log), "a", "$(PW)"],
                        "env": [
                            {
                                "name": "PW",
                                "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}},
                            }
                        ],
                    },
                },
                {"name": "b", "container": {**step, "args": [str(log), "b"]}},
                {
                    "name": "exit",
                    "container": {
                        **step,
                        "args": [str(log), "exit", "{{workflow.status}}", "{{workflow.failures}}"],
                    },
                },
            ],
        },
    }
    if on_exit:
        doc["spec"]["onExit"] = "exit"
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_replay_runs_the_dag_then_the_exit_handler(tmp_path):
    path = _workflow(tmp_path)
    result = CliRunner().invoke(
        main, ["replay", str(path), "--secret", "db/pw=hunter2", "--name", "t-1"]
    )
    assert result.exit_code == 0, result.output
    assert "Workflow t-1 succeeded: 2 step(s) ran" in result.output
    assert (tmp_path / "log").read_text() == "a hunter2\nb\nexit Succeeded null\n"


def test_replay_without_a_secret_says_which_and_how(tmp_path):
    result = CliRunner().invoke(main, ["replay", str(_workflow(tmp_path))])
    assert result.exit_code == 2
    assert "needs key 'pw' of Secret 'db', which was not given" in result.output
    assert "--secret db/pw=VALUE" in result.output and "Traceback" not in result.output
    bad = CliRunner().invoke(main, ["replay", str(_workflow(tmp_path)), "--secret", "db=x"])
    assert bad.exit_code == 2 and "NAME/KEY=VALUE" in bad.output


def test_docker_replay_without_an_engine_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    result = CliRunner().invoke(main, ["replay", str(_workflow(tmp_path)), "--docker"])
    assert result.exit_code == 2
    assert "--docker needs a running Docker engine" in result.output
    assert "setup-docker.sh" in result.output


def test_a_user_image_is_named_by_its_files_not_its_outputs(tmp_path):
    directory = tmp_path / "My Pipeline"
    (directory / "data").mkdir(parents=True)
    (directory / "pipeline.py").write_text("x = 1\n")
    (directory / "data" / "rows.csv").write_text("a\n1\n")
    first = user_image.name_for(directory, "headrace/headrace:abc", "reg.example.com/ml")
    assert first.startswith("reg.example.com/ml/my-pipeline:")
    for output in ("headrace-root/m.sqlite", "__pycache__/p.pyc", ".git/HEAD"):
        (directory / output).parent.mkdir(parents=True, exist_ok=True)
        (directory / output).write_text("anything")
    assert user_image.name_for(directory, "headrace/headrace:abc", "reg.example.com/ml") == first
    assert sorted(user_image.context_files(directory)) == ["data/rows.csv", "pipeline.py"]
    (directory / "data" / "rows.csv").write_text("a\n2\n")
    assert user_image.name_for(directory, "headrace/headrace:abc", "reg.example.com/ml") != first
    assert user_image.name_for(directory, "headrace/headrace:def", "reg.example.com/ml") != first
    text = user_image.dockerfile("headrace/headrace:abc", directory)
    assert f"COPY . {directory}/" in text and f"WORKDIR {directory}" in text


def test_a_context_inside_the_checkout_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["image", "build", "--context", str(REPO / "examples")])
    assert result.exit_code == 2
    assert "inside Headrace's own checkout" in result.output
