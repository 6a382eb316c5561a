"""Compiled workflows in real containers: Headrace's image built on local bases, users' images
built from directories outside the checkout (`image build --context`), compiled with `--image`
and replayed with `--docker` on MariaDB-backed ML Metadata over the host network. The penguin
pipeline's results, lineage and cache hits match a local run; a step killed mid-run (137) is
retried without duplicate outputs; a step killed for good is marked FAILED by the exit handler.

Skips without a Docker engine, unless HEADRACE_REQUIRE_DOCKER=1 (set in .ci/run)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from headrace import images, user_image
from headrace.metadata import open_store
from headrace.replay import Replay, TaskFailed
from tests.conftest import MYSQL_HOST, MYSQL_USER, _mariadb

REPO = Path(__file__).resolve().parents[2]
REQUIRE_DOCKER = os.environ.get("HEADRACE_REQUIRE_DOCKER") == "1"
pytestmark = [pytest.mark.mysql, pytest.mark.slow, pytest.mark.timeout(3600)]


def _docker():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        message = f"no Docker engine reachable (scripts/setup-docker.sh starts one): {exc}"
        if REQUIRE_DOCKER:
            pytest.fail(message)
        pytest.skip(message)
    return client


@pytest.fixture(scope="module")
def client(mysql_available):
    return _docker()


@pytest.fixture(scope="module")
def headrace_image(client):
    built = images.build(
        "cpu", base=os.environ.get(images.BASE_ENV) or "local", log=lambda _line: None
    )
    return built.name


@pytest.fixture(scope="module")
def database():
    name = f"headrace_test_{secrets.token_hex(4)}"
    yield f"mysql://{MYSQL_USER}@{MYSQL_HOST}/{name}"
    _mariadb(f"DROP DATABASE IF EXISTS {name}")


def _user_dir(base: Path, name: str, source: Path, data: dict[str, str]) -> Path:
    directory = base / name
    if source.is_dir():
        shutil.copytree(
            source,
            directory,
            ignore=shutil.ignore_patterns("headrace-root", "__pycache__", "*.ipynb"),
        )
    else:
        directory.mkdir()
        shutil.copy(source, directory / "pipeline.py")
    for relative, text in data.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    return directory


@pytest.fixture(scope="module")
def words(tmp_path_factory, headrace_image):
    directory = _user_dir(
        tmp_path_factory.mktemp("outside"),
        "user-words",
        REPO / "tests" / "replay" / "user_pipeline.py",
        {"data/words.txt": "the quick brown fox jumps over the lazy dog\n"},
    )
    built = user_image.build(directory, log=lambda _line: None)
    return directory, built.name


@pytest.fixture(scope="module")
def penguin(tmp_path_factory, headrace_image):
    directory = _user_dir(
        tmp_path_factory.mktemp("outside"), "penguin", REPO / "examples" / "penguin", {}
    )
    built = user_image.build(directory, log=lambda _line: None)
    return directory, built.name


def _compile(pipeline_dir: Path, image: str, root: Path, metadata: str, *extra: str) -> str:
    out = pipeline_dir.parent / f"{pipeline_dir.name}-{len(extra)}.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "compile",
            str(pipeline_dir / "pipeline.py"),
            "--image",
            image,
            "--pipeline-root",
            str(root),
            "--metadata",
            metadata,
            "--no-ui-metadata",
            "--retry-backoff",
            "1s",
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=pipeline_dir.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text()


def _secrets() -> dict[str, dict[str, str]]:
    return {"headrace-mysql": {"password": os.environ["HEADRACE_MYSQL_PASSWORD"]}}


def _replay(text: str, name: str, root: Path, **kwargs) -> Replay:
    return Replay(
        text,
        workflow_name=name,
        secrets=_secrets(),
        docker=True,
        root=str(root),
        parallelism=2,
        **kwargs,
    )


def _executions(url: str, pipeline: str, run_id: str):
    return open_store(url).run_executions(pipeline, run_id)


def _lineage(executions) -> dict[str, dict[str, list[str]]]:
    """Node -> input port -> the nodes whose outputs it read (by artifact id)."""
    producer = {a.id: e.node_id for e in executions for arts in e.outputs.values() for a in arts}
    return {
        e.node_id: {
            p: sorted(producer.get(a.id, "?") for a in arts) for p, arts in e.inputs.items()
        }
        for e in executions
        if e.state in ("COMPLETE", "CACHED")
    }


def test_penguin_in_containers_matches_a_local_run(penguin, database, tmp_path):
    directory, image = penguin
    root = tmp_path / "cluster-root"
    text = _compile(directory, image, root, database)
    first = _replay(text, "penguin-docker-1", root).run()
    assert all(r.succeeded for r in first)
    assert first[-1].exit_handler  # onExit ran, with nothing left to mark
    docker_runs = _executions(database, "penguin", "penguin-docker-1")

    local_root = tmp_path / "local-root"
    local_db = f"sqlite://{tmp_path}/local.sqlite"
    for _ in range(2):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "headrace",
                "run",
                str(directory / "pipeline.py"),
                "--root",
                str(local_root),
                "--metadata",
                local_db,
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    second_local, first_local = (r.run_id for r in open_store(local_db).list_runs("penguin"))
    local_runs = _executions(local_db, "penguin", first_local)

    states = {e.node_id: e.state for e in docker_runs}
    assert states == {e.node_id: e.state for e in local_runs}
    # Every node executed, but the Resolver, which records what it found as reused.
    assert {e.node_id for e in docker_runs if e.state != "COMPLETE"} == {
        e.node_id for e in docker_runs if e.component == "Resolver"}
    assert _lineage(docker_runs) == _lineage(local_runs)
    # The pushed model: in TF Serving's layout under the cluster's root, as locally.
    (pusher,) = [e for e in docker_runs if e.node_id == "Pusher"]
    (pushed,) = pusher.outputs["pushed_model"]
    assert pushed.properties["pushed"] == 1
    destination = pushed.properties["pushed_destination"]
    assert destination.startswith(f"{root}/serving/penguin/")
    assert (Path(destination) / "saved_model.pb").is_file()
    (local_pushed,) = next(e for e in local_runs if e.node_id == "Pusher").outputs["pushed_model"]
    assert local_pushed.properties["pushed"] == 1

    # Again: the same nodes come from the cache in containers as locally.
    _replay(text, "penguin-docker-2", root).run()
    cached = {
        e.node_id
        for e in _executions(database, "penguin", "penguin-docker-2")
        if e.state == "CACHED"
    }
    local_cached = {
        e.node_id for e in _executions(local_db, "penguin", second_local) if e.state == "CACHED"
    }
    assert cached == local_cached and "Trainer" in cached


def _kill_when_running(client, replay: Replay, task: str, after: float) -> list[str]:
    """Kill the first container of `task` that has run for `after` seconds (docker kill)."""
    killed: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            found = client.containers.list(
                filters={
                    "label": [f"dev.headrace.replay={replay.name}", f"dev.headrace.task={task}"]
                }
            )
            if found:
                time.sleep(after)
                found[0].kill()
                killed.append(found[0].name)
            time.sleep(0.3)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return killed


def test_a_killed_step_is_retried_without_duplicate_outputs(client, words, database, tmp_path):
    directory, image = words
    root = tmp_path / "root"
    text = _compile(directory, image, root, database)
    replay = _replay(text, "words-killed-once", root, parameters={"pause": "8"})
    killed = _kill_when_running(client, replay, "count-words", after=4)
    runs = replay.run()
    assert killed
    (count,) = [r for r in runs if r.task == "count-words"]
    assert [a.exit_code for a in count.attempts] == [137, 0]  # retried by its retryStrategy
    executions = [
        e
        for e in _executions(database, "user-words", "words-killed-once")
        if e.node_id == "count_words"
    ]
    assert [e.state for e in executions] == ["CANCELED", "COMPLETE"]
    (model,) = executions[1].outputs["model"]
    assert model.properties["words"] == 9
    # The killed attempt's partial outputs are gone; one model directory remains.
    models = root / "user-words" / "count_words" / "model"
    assert sorted(p.name for p in models.iterdir()) == [str(executions[1].id)]


def test_a_step_killed_for_good_is_marked_failed_by_the_exit_handler(
    client, words, database, tmp_path
):
    directory, image = words
    root = tmp_path / "root"
    text = _compile(directory, image, root, database, "--retry-limit", "0")
    replay = _replay(text, "words-killed", root, parameters={"pause": "30"})
    killed = _kill_when_running(client, replay, "count-words", after=4)
    with pytest.raises(TaskFailed, match="exit code 137") as caught:
        replay.run()
    assert killed
    handler = caught.value.runs[-1]
    assert handler.exit_handler and handler.succeeded, handler.attempts[-1].stderr
    executions = _executions(database, "user-words", "words-killed")
    states = {e.node_id: e.state for e in executions}
    assert states == {"read_words": "COMPLETE", "count_words": "FAILED"}
    (failed,) = [e for e in executions if e.state == "FAILED"]
    assert failed.error.startswith("workflow ended Failed: step count-words failed")
    assert "exit code 137" in failed.error
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", "words-killed", "--metadata", database],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert "count_words FAILED: workflow ended Failed" in " ".join(shown.stdout.split())
    assert "argo retry words-killed" in shown.stdout

    # Resumed under the same name: read_words is reused, count_words runs.
    again = _replay(text, "words-killed", root).run()
    assert all(r.succeeded for r in again)
    final = _executions(database, "user-words", "words-killed")
    assert [e.state for e in final if e.node_id == "count_words"] == ["FAILED", "COMPLETE"]
    assert [e.state for e in final if e.node_id == "read_words"] == ["COMPLETE"]


def test_a_step_over_its_deadline_is_marked_failed_with_argos_reason(words, database, tmp_path):
    directory, image = words
    root = tmp_path / "root"
    text = _compile(directory, image, root, database, "--retry-limit", "0", "--step-timeout", "6")
    with pytest.raises(TaskFailed, match="longer than the specified deadline"):
        _replay(text, "words-deadline", root, parameters={"pause": "60"}).run()
    (failed,) = [
        e
        for e in _executions(database, "user-words", "words-deadline")
        if e.node_id == "count_words"
    ]
    assert failed.state == "FAILED" and "deadline" in failed.error


def test_an_image_without_the_users_code_says_what_to_do(headrace_image, words, database, tmp_path):
    directory, _ = words
    root = tmp_path / "root"
    text = _compile(directory, headrace_image, root, database, "--retry-limit", "0")
    with pytest.raises(TaskFailed) as caught:
        _replay(text, "words-no-code", root).run()
    assert caught.value.exit_code == 10
    assert "headrace image build --context" in str(caught.value)
    # The exit handler still ran: nothing is left RUNNING.
    assert all(e.state != "RUNNING" for e in _executions(database, "user-words", "words-no-code"))


@pytest.fixture(scope="module")
def hungry(tmp_path_factory, headrace_image):
    directory = _user_dir(
        tmp_path_factory.mktemp("outside"),
        "hungry",
        REPO / "tests" / "replay" / "memory_pipeline.py",
        {},
    )
    built = user_image.build(directory, log=lambda _line: None)
    return directory, built.name


def test_a_step_killed_for_memory_is_retried_with_more_memory(hungry, database, tmp_path):
    """The step holds 384Mi with a 256Mi limit: the kernel kills its container (a cgroup limit,
    no swap), the retry gets the compiler's doubled limit from the podSpecPatch and completes;
    each execution records the limit its attempt had, and runs show lists both."""
    directory, image = hungry
    root = tmp_path / "root"
    text = _compile(directory, image, root, database)
    runs = _replay(text, "hungry-oom", root).run()
    (step,) = [r for r in runs if r.task == "hungry"]
    assert [(a.exit_code, a.message) for a in step.attempts] == [
        (137, "OOMKilled (exit code 137)"), (0, "")]
    executions = _executions(database, "hungry", "hungry-oom")
    assert [(e.state, e.memory_limit, e.exit_code) for e in executions] == [
        ("CANCELED", 256 * 2**20, 137), ("COMPLETE", 512 * 2**20, None)]
    (model,) = executions[1].outputs["model"]
    assert model.properties["megabytes"] == 384
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", "hungry-oom", "--metadata", database],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert ("hungry: attempt 1: 256Mi, killed, most likely for memory (exit 137); "
            "attempt 2: 512Mi, COMPLETE") in " ".join(shown.stdout.split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory, headrace_image):
    directory = _user_dir(
        tmp_path_factory.mktemp("outside"),
        "demo",
        REPO / "tests" / "support" / "demo_pipeline.py",
        {},
    )
    built = user_image.build(directory, log=lambda _line: None)
    return directory, built.name


def test_a_mariadb_restart_mid_step_is_ridden_out_in_containers(
    client, demo, private_mariadb, tmp_path, monkeypatch
):
    """MLMD on a private MariaDB (tests.support.mariadb_server) that is stopped and started
    while `produce` works in its container: the workflow ends Succeeded (steps retry their
    MLMD calls, or exit 20 and are retried), nothing is left RUNNING, nothing is published
    twice."""
    from tests.support.mariadb_server import PASSWORD

    server = private_mariadb
    database = f"headrace_replayed_{secrets.token_hex(3)}"
    url = server.url(database)
    directory, image = demo
    root = tmp_path / "root"
    monkeypatch.setenv("HEADRACE_DEMO_SLEEP", "4")  # produce pauses half way (a parameter)
    text = _compile(directory, image, root, url)
    replay = Replay(text, workflow_name="demo-restart", docker=True, root=str(root),
                    secrets={"headrace-mysql": {"password": PASSWORD}}, parallelism=2)
    restarted: list[float] = []

    def restart_while_producing() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if list(root.glob("demo/produce/examples/*/data.txt")):
                server.stop()
                # Longer than the retries' backoff (1 + 2 + 4 s): steps that open their store
                # now wait for it (open_store's wait_seconds) instead of exhausting retries.
                time.sleep(8)
                server.start()
                restarted.append(time.monotonic())
                return
            time.sleep(0.05)

    thread = threading.Thread(target=restart_while_producing, daemon=True)
    thread.start()
    runs = replay.run()
    thread.join(timeout=60)
    assert restarted, "the server was never restarted: produce never started writing"
    assert all(r.succeeded for r in runs)
    executions = _executions(url, "demo", "demo-restart")
    assert [e for e in executions if e.state == "RUNNING"] == []
    assert sorted(e.node_id for e in executions if e.state == "COMPLETE") == sorted(
        ["produce", "count_a", "count_b", "train"])
    # One artifact per output and one output event each: nothing published twice.
    assert server.sql(f"SELECT COUNT(*) FROM `{database}`.`Artifact`").strip() == "4"
    assert server.sql(f"SELECT COUNT(*) FROM `{database}`.`Event` WHERE type = 4").strip() == "4"


def test_a_store_down_as_the_workflow_starts_is_waited_for(
    client, demo, private_mariadb, tmp_path
):
    """MLMD away for longer than the steps' retries last (1 + 2 + 4 s of backoff) as the
    workflow starts, as when its MySQL pod is being rescheduled: the steps wait for the store
    when they open it (open_store's wait_seconds) and the run succeeds, recorded once."""
    from tests.support.mariadb_server import PASSWORD

    server = private_mariadb
    database = f"headrace_replayed_{secrets.token_hex(3)}"
    url = server.url(database)
    directory, image = demo
    root = tmp_path / "root"
    text = _compile(directory, image, root, url)
    replay = Replay(text, workflow_name="demo-late-store", docker=True, root=str(root),
                    secrets={"headrace-mysql": {"password": PASSWORD}}, parallelism=2)
    server.stop()
    starter = threading.Timer(15, server.start)
    starter.start()
    try:
        runs = replay.run()
    finally:
        starter.join()
    assert all(r.succeeded for r in runs)
    assert all(len(r.attempts) <= 1 for r in runs), [(r.task, len(r.attempts)) for r in runs]
    executions = _executions(url, "demo", "demo-late-store")
    assert sorted(e.node_id for e in executions if e.state == "COMPLETE") == sorted(
        ["produce", "count_a", "count_b", "train"])
