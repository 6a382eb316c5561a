"""Headrace's Beam jobs on a real Flink (embedded mini-cluster) and a real Spark (local[2]),
through `headrace beam serve`'s job servers and `headrace run --beam-runner`: the same rows,
statistics, schema and transformed examples as DirectRunner; a failing job named with its logs.

Needs Java 17 and Maven (the first start fetches the jars into ~/.m2). Without them the tests
skip; with HEADRACE_REQUIRE_BEAM_ENGINES=1 (.ci/run sets it) they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from headrace.cli import main
from headrace.metadata import default_url, open_store

HERE = Path(__file__).parent / "beam"
PIPELINE = str(HERE / "pipeline.py")
REQUIRE = os.environ.get("HEADRACE_REQUIRE_BEAM_ENGINES") == "1"
# Floats from combiners summed in another order on another runner: equal up to rounding.
REL = 1e-6


@pytest.fixture(scope="module")
def engines_available() -> None:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (Java 17 and Maven; .ci/run has them)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)


def _run(root: Path, *flags: str) -> tuple[str, dict[str, Any]]:
    done = CliRunner().invoke(main, ["run", PIPELINE, "--root", str(root), *flags])
    assert done.exit_code == 0, done.output + repr(done.exception)
    store = open_store(default_url(str(root)))
    [run] = store.list_runs("penguin-beam")
    record = store.get_run(run.run_id)
    return done.output, {e.node_id: e for e in record.executions}


def _artifact(executions: dict[str, Any], node: str, port: str) -> Any:
    [artifact] = executions[node].outputs[port]
    return artifact


def _records(directory: str) -> list[bytes]:
    import tensorflow as tf

    files = sorted(str(p) for p in Path(directory).iterdir())
    return [bytes(r.numpy()) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _examples(directory: str) -> list[dict[str, tuple[Any, ...]]]:
    import tensorflow as tf

    rows = []
    for record in _records(directory):
        example = tf.train.Example.FromString(record)
        row = {}
        for name, feature in example.features.feature.items():
            kind = feature.WhichOneof("kind")
            row[name] = tuple(getattr(feature, kind).value) if kind else ()
        rows.append(row)
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=REL, abs=1e-9)
    return a == b


@pytest.fixture(scope="module")
def direct(tmp_path_factory) -> dict[str, Any]:
    """The same pipeline on DirectRunner, once: the reference."""
    _, executions = _run(tmp_path_factory.mktemp("direct"))
    return executions


def _assert_same_results(direct: dict[str, Any], remote: dict[str, Any]) -> None:
    import tensorflow_data_validation as tfdv

    # Rows per split: exact, and the same records (ExampleGen's split is a hash of the row).
    ours, theirs = (_artifact(x, "CsvExampleGen", "examples") for x in (direct, remote))
    assert json.loads(theirs.properties["rows_per_split"]) == json.loads(
        ours.properties["rows_per_split"]) == {"train": 229, "eval": 105}
    for split in ("train", "eval"):
        assert sorted(_records(f"{theirs.uri}/Split-{split}")) == sorted(
            _records(f"{ours.uri}/Split-{split}"))

    # Statistics: counts exact, moments within REL.
    ours, theirs = (_artifact(x, "StatisticsGen", "statistics") for x in (direct, remote))
    for split in ("train", "eval"):
        a = tfdv.load_stats_binary(f"{ours.uri}/Split-{split}/FeatureStats.pb").datasets[0]
        b = tfdv.load_stats_binary(f"{theirs.uri}/Split-{split}/FeatureStats.pb").datasets[0]
        assert a.num_examples == b.num_examples
        fa = {f.path.step[0]: f for f in a.features}
        fb = {f.path.step[0]: f for f in b.features}
        assert fa.keys() == fb.keys() and len(fa) == 5
        for name, feature in fa.items():
            x, y = feature.num_stats, fb[name].num_stats
            assert x.common_stats.num_non_missing == y.common_stats.num_non_missing, name
            for field in ("mean", "std_dev", "min", "max", "median"):
                assert _close(getattr(x, field), getattr(y, field)), (name, field)

    # Schema: identical.
    ours, theirs = (_artifact(x, "SchemaGen", "schema") for x in (direct, remote))
    schema = (Path(x.uri, "schema.pbtxt").read_text() for x in (ours, theirs))
    assert next(schema) == next(schema)

    # Transformed examples: the same rows, floats within REL (analyzers' sums, other order).
    ours, theirs = (_artifact(x, "Transform", "transformed_examples") for x in (direct, remote))
    for split in ("train", "eval"):
        a, b = (_examples(f"{t.uri}/Split-{split}") for t in (ours, theirs))
        assert len(a) == len(b) > 100
        for row_a, row_b in zip(a, b, strict=True):
            assert row_a.keys() == row_b.keys()
            for name in row_a:
                assert all(_close(u, v) for u, v in zip(row_a[name], row_b[name], strict=True))


def _serve_and_run(engine: str, tmp_path: Path, direct: dict[str, Any], sdk_workers: str,
                   then_fail: bool = False) -> str:
    from headrace.runner.beam import JobServer

    with JobServer.start(engine, workers=2, log=lambda _: None) as server:
        output, remote = _run(tmp_path / "remote", "--beam-runner", engine,
                              "--beam-job-endpoint", server.endpoint,
                              "--beam-sdk-workers", sdk_workers)
        if then_fail:
            _failed_job_is_named_and_publishes_nothing(engine, server, tmp_path / "failing")
        jvm = server.service.process
    assert jvm.poll() is not None  # stopped with its JVM
    jobs = re.findall(rf"Beam job \S+ on the job server at {server.endpoint}: (\w+)", output)
    # ExampleGen, StatisticsGen and Transform each sent their Beam job there and it finished.
    assert jobs and set(jobs) == {"DONE"} and len(jobs) >= 3, output
    assert f"Beam jobs go to the {engine} job server at {server.endpoint}" in output
    assert {e.state for e in remote.values()} == {"COMPLETE"}
    _assert_same_results(direct, remote)
    return server.endpoint


@pytest.mark.slow
def test_flink_runs_the_beam_jobs_with_directrunners_results_and_names_a_failed_job(
        engines_available, direct, tmp_path):
    # SDK workers as threads of one pool process: TensorFlow imported once per run, not per job
    # (the failing job below uses processes, the compiled workflow's sidecar's mode).
    _serve_and_run("flink", tmp_path, direct, "threads", then_fail=True)


@pytest.mark.slow
def test_spark_runs_the_beam_jobs_with_directrunners_results(engines_available, direct, tmp_path):
    # SDK workers as threads of one pool process (imports once for the run).
    _serve_and_run("spark", tmp_path, direct, "threads")


def _failed_job_is_named_and_publishes_nothing(engine: str, server: Any, root: Path) -> None:
    done = CliRunner().invoke(main, ["run", str(HERE / "failing.py"), "--root", str(root),
                                     "--beam-runner", engine,
                                     "--beam-job-endpoint", server.endpoint,
                                     "--beam-sdk-workers", "processes"])
    assert done.exit_code == 1, done.output
    text = " ".join(done.output.split())
    assert f"failed on the job server at {server.endpoint}" in text, done.output
    assert "ZeroDivisionError" in text and str(server.log) in text, done.output
    assert "SDK worker pool at localhost:" in text, done.output
    store = open_store(default_url(str(root)))
    [run] = store.list_runs("beam-fails")
    [execution] = store.get_run(run.run_id).executions
    assert execution.state == "FAILED" and not any(execution.outputs.values())


def _jvms_on(port: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            wanted = f"--job-port={port}".encode()
            if b"JobServerDriver" in b" ".join(cmdline) and wanted in cmdline:
                found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_beam_serve_prints_the_endpoint_and_sigterm_stops_it_with_its_jvm(engines_available):
    import signal
    import subprocess
    import sys
    import time

    from headrace.runner.beam.processes import free_port, listening

    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "headrace", "beam", "serve", "flink",
                              "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        first = serve.stdout.readline()  # printed once the job service listens
        assert f"job endpoint localhost:{port}" in first and "flink 1.19.0" in first, first
        assert listening("localhost", port) and _jvms_on(port)
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while _jvms_on(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _jvms_on(port) and not listening("localhost", port)
