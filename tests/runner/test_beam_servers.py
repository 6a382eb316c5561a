"""Bad input around the Flink/Spark job servers, without starting a JVM: an endpoint nobody
answers at, a Beam SDK the servers do not pair with, no Maven, a runner on the wrong engine."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from headrace.cli import main
from headrace.errors import BeamServerError
from headrace.runner.beam import ENGINES, check_endpoint, jars, portable_args
from headrace.runner.beam.engines import check_sdk

REPO = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens there


def test_an_endpoint_nobody_answers_at_is_refused_with_the_command_that_starts_one():
    port = _closed_port()
    with pytest.raises(BeamServerError, match=rf"No Beam job server answers at localhost:{port}; "
                       rf"start one with `headrace beam serve spark --port {port}`"):
        check_endpoint(f"localhost:{port}", "spark")
    with pytest.raises(BeamServerError, match="must be HOST:PORT"):
        check_endpoint("http://localhost", "flink")


def test_run_refuses_an_unreachable_endpoint_before_anything_runs(tmp_path):
    port = _closed_port()
    root = tmp_path / "root"
    done = CliRunner().invoke(main, [
        "run", str(REPO / "examples" / "penguin" / "pipeline.py"), "--root", str(root),
        "--beam-runner", "flink", "--beam-job-endpoint", f"localhost:{port}"])
    assert done.exit_code == 2, done.output
    assert f"No Beam job server answers at localhost:{port}" in done.output
    assert "Run (new)" not in done.output  # no run announced, nothing recorded
    assert not (root / "penguin").exists()


def test_run_wants_the_runner_and_the_endpoint_together(tmp_path):
    pipeline = str(REPO / "examples" / "penguin" / "pipeline.py")
    for flags in (["--beam-runner", "spark"], ["--beam-job-endpoint", "localhost:8099"]):
        done = CliRunner().invoke(main, ["run", pipeline, "--root", str(tmp_path), *flags])
        assert done.exit_code == 2, done.output
        assert "go together" in done.output


def test_sdk_versions_the_job_servers_were_not_run_with_are_named():
    assert check_sdk("2.61.0") is None
    problem = check_sdk("2.50.0")
    assert problem is not None and "2.50.0" in problem and "2.62.0" in problem


def test_without_maven_and_without_cached_jars_the_error_says_what_to_install(
        tmp_path, monkeypatch):
    monkeypatch.setenv(jars.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn here
    with pytest.raises(BeamServerError, match=r"Maven \(mvn\) is not on PATH.*apt-get install "
                       r"maven"):
        jars.classpath(ENGINES["flink"], log=lambda _: None)


def test_a_cached_classpath_with_another_engine_version_is_refused(tmp_path, monkeypatch):
    """A runner built for Flink 1.19 on Flink 1.18's jars fails at its first job; the start does
    instead, naming the versions."""
    monkeypatch.setenv(jars.CACHE_ENV, str(tmp_path / "cache"))
    engine = ENGINES["flink"]
    work = jars.cache_dir() / f"{engine.name}-{jars._key(engine, None)}"
    work.mkdir(parents=True)
    wrong = [tmp_path / "beam-runners-flink-1.19-2.62.0.jar", tmp_path / "flink-runtime-1.18.1.jar"]
    for jar in wrong:
        jar.write_bytes(b"")
    (work / "classpath.txt").write_text(os.pathsep.join(map(str, wrong)))
    with pytest.raises(BeamServerError, match=r"lacks flink-runtime-1\.19\.0\.jar.*found: "
                       r"flink-runtime-1\.18\.1\.jar"):
        jars.classpath(engine, log=lambda _: None)


def test_the_pom_asks_for_the_runner_and_engine_the_servers_pin():
    pom = jars._pom(ENGINES["spark"])
    assert "<artifactId>beam-runners-spark-3</artifactId><version>2.62.0</version>" in pom
    assert "<artifactId>spark-core_2.12</artifactId><version>3.5.0</version>" in pom


def test_portable_flags_match_the_compiled_workflows_shape():
    args = portable_args(runner="flink", endpoint="localhost:1", worker_pool="localhost:2",
                         artifacts_dir="/r/_beam_artifacts", workers=2)
    assert args[:5] == ("--runner=PortableRunner", "--job_endpoint=localhost:1",
                        "--environment_type=EXTERNAL", "--environment_config=localhost:2",
                        "--artifacts_dir=/r/_beam_artifacts")
    assert "--parallelism=2" in args
    spark = portable_args(runner="spark", endpoint="localhost:1", worker_pool="localhost:2",
                          artifacts_dir="/r", workers=2)
    assert not any(a.startswith("--parallelism") for a in spark)  # local[2] sets Spark's
