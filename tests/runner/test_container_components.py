"""Container components run locally: as processes in development mode (HEADRACE_CONTAINERS=process
or `headrace run --containers=process`), through Docker when an engine answers, and with neither
a clear error before anything is recorded. Their outputs and properties land in ML Metadata and
feed downstream Python components; caching covers parameters and the image."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from headrace.cli import main
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError, ExecutionError, UserCodeError
from headrace.ir import build
from headrace.launcher import CACHED, EXECUTED, launch
from headrace.launcher.container import (
    CONTAINERS_ENV,
    docker_run_arguments,
    properties_path,
    runner_for,
)
from headrace.metadata import open_store
from headrace.runner import LocalRunner

PIPELINE = str(Path(__file__).parents[1] / "support" / "custom_components.py")


@pytest.fixture
def custom():
    return import_file(PIPELINE)


@pytest.fixture
def process_mode(monkeypatch):
    monkeypatch.setenv(CONTAINERS_ENV, "process")


def _run(url, root, ir, isolate=False):
    runner = LocalRunner(store=open_store(url), metadata_url=url, isolate=isolate)
    summary = runner.run(ir, root=str(root))
    assert summary.ok, summary.failed
    return summary


def _check_outputs(summary, rows: int, scale: int) -> None:
    [statistics] = summary.results["CountLines"].outputs["statistics"]
    # Written by the container into its output URI, and through the properties file to MLMD.
    assert json.loads(Path(statistics.uri, "lines.json").read_text()) == {
        "lines": rows * scale,
        "label": "run-x",
    }
    assert statistics.properties == {"lines": rows * scale, "label": "run-x"}
    [shouted] = summary.results["shout"].outputs["shouted"]
    assert Path(shouted.uri, "words.txt").read_text().startswith("ALPHA BETA 0\n")
    # The class component downstream read the container's output: 3 words a line, twice over.
    [words] = summary.results["CountWords"].outputs["statistics"]
    assert words.properties == {"words": rows * 3 * 2 * scale}
    execution = summary.results["CountLines"].execution_id
    assert not os.path.exists(
        properties_path(summary.root, "custom-components", "CountLines", execution)
    )


def test_process_mode_runs_the_commands_and_records_outputs_and_properties(
    sqlite_url, tmp_path, custom, process_mode
):
    summary = _run(sqlite_url, tmp_path, build(custom.create_pipeline(rows=4, scale=3)))
    assert {r.outcome for r in summary.results.values()} == {EXECUTED}
    _check_outputs(summary, rows=4, scale=3)

    again = _run(sqlite_url, tmp_path, build(custom.create_pipeline(rows=4, scale=3)))
    assert {r.outcome for r in again.results.values()} == {CACHED}
    other_image = build(custom.create_pipeline(rows=4, scale=3, image="python:3.12-slim"))
    changed = _run(sqlite_url, tmp_path, other_image)
    assert changed.results["CountLines"].outcome == EXECUTED  # the image is the container's code
    assert changed.results["shout"].outcome == CACHED


def test_isolated_nodes_run_containers_through_the_entrypoint(
    sqlite_url, tmp_path, custom, process_mode
):
    summary = _run(sqlite_url, tmp_path, build(custom.create_pipeline(rows=2)), isolate=True)
    assert {r.outcome for r in summary.results.values()} == {EXECUTED}
    _check_outputs(summary, rows=2, scale=1)


def test_a_failing_container_fails_its_node_with_its_stderr_and_leaves_nothing(
    sqlite_url, tmp_path, custom, process_mode
):
    ir = build(custom.create_pipeline(fail_container=True))
    store = open_store(sqlite_url)
    launch(ir, "write_words", run_id="r", store=store, root=str(tmp_path))
    with pytest.raises(
        UserCodeError,
        match=r"'CountLines' \(CountLines\): the process exited "
        r"with code 1; its stderr ends:\nasked to fail: run-x",
    ):
        launch(ir, "CountLines", run_id="r", store=store, root=str(tmp_path))
    [failed] = store.run_executions(ir.name, "r", "CountLines")
    assert failed.state == "FAILED" and "asked to fail" in failed.error
    assert not any(Path(tmp_path, "custom-components", "CountLines", "statistics").iterdir())


def test_without_docker_or_process_mode_the_error_names_both_and_nothing_is_recorded(
    sqlite_url, tmp_path, custom, monkeypatch
):
    monkeypatch.delenv(CONTAINERS_ENV, raising=False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")  # surely no engine
    ir = build(custom.create_pipeline())
    store = open_store(sqlite_url)
    launch(ir, "write_words", run_id="r", store=store, root=str(tmp_path))
    with pytest.raises(
        ExecutionError,
        match=r"'CountLines' is a container component \(image "
        r"python:3.11-slim\) and no Docker engine answers.*Start Docker.*"
        r"--containers=process` \(or HEADRACE_CONTAINERS=process\)",
    ):
        launch(ir, "CountLines", run_id="r", store=store, root=str(tmp_path))
    assert store.run_executions(ir.name, "r", "CountLines") == []


def test_an_unknown_mode_is_a_definition_error(custom, monkeypatch):
    monkeypatch.setenv(CONTAINERS_ENV, "podman")
    node = build(custom.create_pipeline()).node("CountLines")
    with pytest.raises(
        DefinitionError, match="HEADRACE_CONTAINERS='podman' is not one of auto, docker, process"
    ):
        runner_for(node)


def test_the_cli_flag_selects_process_mode(tmp_path, monkeypatch):
    monkeypatch.setenv(CONTAINERS_ENV, "auto")  # restored afterwards; the CLI overrides it
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    root = str(tmp_path / "root")
    failed = CliRunner().invoke(main, ["run", PIPELINE, "--root", root])
    assert failed.exit_code == 1 and "--containers=process" in failed.output
    done = CliRunner().invoke(main, ["run", PIPELINE, "--root", root, "--containers=process"])
    assert done.exit_code == 0, done.output
    assert "4 of 4 nodes done" in done.output


def test_docker_arguments_mount_the_root_at_the_same_path_and_run_as_this_user(custom, tmp_path):
    from headrace.types import Examples

    node = build(custom.create_pipeline()).node("CountLines")
    elsewhere = Examples(str(tmp_path / "other-root" / "examples" / "1"))
    inside = Examples(str(tmp_path / "root" / "p" / "write_words" / "examples" / "2"))
    kwargs = docker_run_arguments(
        node,
        ["python", "-c", "code"],
        ["--words", inside.uri],
        str(tmp_path / "root"),
        {"examples": [inside, elsewhere]},
        user="1000:1000",
    )
    root = str(tmp_path / "root")
    assert kwargs["image"] == "python:3.11-slim"
    assert kwargs["entrypoint"] == ["python", "-c", "code"]  # Kubernetes' command
    assert kwargs["command"] == ["--words", inside.uri]  # Kubernetes' args
    assert kwargs["volumes"] == {
        root: {"bind": root, "mode": "rw"},
        elsewhere.uri: {"bind": elsewhere.uri, "mode": "ro"},
    }
    assert kwargs["user"] == "1000:1000" and "device_requests" not in kwargs
    gpu = build(custom.create_pipeline()).node("CountLines")
    import dataclasses

    from headrace.dsl import Resources

    gpu = dataclasses.replace(gpu, resources=Resources(gpu=2), image="my/trainer:gpu")
    kwargs = docker_run_arguments(gpu, ["x"], [], root, {}, user="0:0")
    assert kwargs["image"] == "my/trainer:gpu"
    assert kwargs["device_requests"] == [{"count": 2, "capabilities": [["gpu"]]}]


def _docker_engine() -> str | None:
    """Why Docker cannot be used here, or None if an engine answers."""
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def test_docker_mode_runs_the_images(sqlite_url, tmp_path, custom, monkeypatch):
    why = _docker_engine()
    if why:
        pytest.skip(
            f"no Docker engine on this machine ({why[:200]}); the arguments it would get "
            f"are checked by test_docker_arguments_..."
        )
    # No registry can be reached here, so python:3.11-slim cannot be pulled: run the
    # containers on Headrace's own image (it has python), built by `headrace image build`.
    import dataclasses

    import docker

    from headrace.images import image_name

    image = image_name("cpu")
    try:
        docker.from_env().images.get(image)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{image} is not built here (`headrace image build`; .ci/run builds it)")
    ir = build(custom.create_pipeline(rows=3))
    ir = dataclasses.replace(ir, nodes=tuple(
        dataclasses.replace(n, image=image) if n.container else n for n in ir.nodes))
    monkeypatch.setenv(CONTAINERS_ENV, "docker")
    summary = _run(sqlite_url, tmp_path, ir)
    assert {r.outcome for r in summary.results.values()} == {EXECUTED}
    _check_outputs(summary, rows=3, scale=1)
