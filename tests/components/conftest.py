"""Shared fixtures of the data-component tests: two real pipelines run once per session through
the local runner on penguin Examples (gzipped TFRecords of tf.Example; clean, and drifted in the
eval split) whose outputs feed most tests, a way to call a component directly, and Beam's
portable runner (job service + EXTERNAL worker pool) started for real."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headrace import Output, Parameter, Pipeline, component
from headrace.components.example_validator import ExampleValidator
from headrace.components.schema_gen import ImportSchemaGen, SchemaGen
from headrace.components.statistics_gen import StatisticsGen
from headrace.dsl import Component, ExecutionContext
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.runner.local import RunSummary
from headrace.types import Artifact, Examples

PENGUINS = Path(__file__).parent / "data" / "penguins_processed.csv"
SPECIES = {0: "Adelie", 1: "Chinstrap", 2: "Gentoo"}
SPAN = 7


def penguin_rows() -> list[dict[str, Any]]:
    """The penguin rows with a categorical string feature, `species_name`, derived from species."""
    with open(PENGUINS) as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        typed: dict[str, Any] = {k: float(v) for k, v in row.items() if k != "species"}
        typed["species"] = int(row["species"])
        typed["species_name"] = SPECIES[typed["species"]]
        out.append(typed)
    return out


def split_rows(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """train:eval 2:1 by row number."""
    return {
        "train": [r for i, r in enumerate(rows) if i % 3 != 2],
        "eval": [r for i, r in enumerate(rows) if i % 3 == 2],
    }


def drift(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows gone bad the way real data does: body_mass_g no longer collected, culmen_length_mm
    read as text (a CSV with "n/a" in it), and a species the schema has never seen."""
    drifted = []
    for i, row in enumerate(rows):
        row = {k: v for k, v in row.items() if k != "body_mass_g"}
        row["culmen_length_mm"] = "n/a" if i % 7 == 0 else str(row["culmen_length_mm"])
        if i % 5 == 0:
            row["species_name"] = "Emperor"
        drifted.append(row)
    return drifted


def to_example(row: Mapping[str, Any]) -> bytes:
    import tensorflow as tf

    features = {}
    for name, value in row.items():
        if value is None:  # a missing value, as CsvExampleGen writes an empty cell
            features[name] = tf.train.Feature()
        elif isinstance(value, str):
            features[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        elif isinstance(value, int):
            features[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
        else:
            features[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


def write_examples(
    uri: Path, splits: Mapping[str, list[Mapping[str, Any]]], span: int | None = None
) -> Examples:
    """An Examples artifact in the TFX layout: gzipped TFRecord shards under Split-<name>/."""
    import tensorflow as tf

    for split, rows in splits.items():
        directory = uri / f"Split-{split}"
        directory.mkdir(parents=True)
        half = len(rows) // 2  # two shards, so readers must take every file of a split
        for shard, part in enumerate((rows[:half], rows[half:])):
            path = directory / f"data_tfrecord-{shard:05d}-of-00002.gz"
            with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
                for row in part:
                    writer.write(to_example(row))
    properties: dict[str, Any] = {"split_names": json.dumps(list(splits))}
    if span is not None:
        properties["span"] = span
    return Examples(str(uri), properties)


@pytest.fixture(scope="session")
def penguin_records() -> list[dict[str, Any]]:
    return penguin_rows()


@pytest.fixture(scope="session")
def penguin_splits(penguin_records) -> dict[str, list[dict[str, Any]]]:
    return split_rows(penguin_records)


@pytest.fixture(scope="session")
def make_examples(tmp_path_factory) -> Callable[..., Examples]:
    """`make_examples({"train": rows, ...}, span=None)`: a fresh Examples artifact."""

    def make(splits: Mapping[str, list[Mapping[str, Any]]], span: int | None = None) -> Examples:
        return write_examples(tmp_path_factory.mktemp("examples") / "examples", splits, span)

    return make


@pytest.fixture(scope="session")
def run_component(tmp_path_factory) -> Callable[..., Any]:
    """Call a component's function directly, as the executor would: fresh output directories,
    an ExecutionContext with the given Beam args. Returns the output (or a dict of outputs)."""

    def run(component: Component, beam_args: tuple[str, ...] = (), **arguments: Any) -> Any:
        spec = component.spec
        outputs = {
            name: type_(str(tmp_path_factory.mktemp(f"{spec.name}-{name}")))
            for name, type_ in spec.outputs.items()
        }
        kwargs = {**arguments, **outputs}
        if spec.context_argument:
            kwargs[spec.context_argument] = ExecutionContext(
                pipeline="test",
                pipeline_root=str(tmp_path_factory.getbasetemp()),
                run_id="test-run",
                node_id=spec.name,
                execution_id=1,
                beam_args=tuple(beam_args),
                temp_dir=str(tmp_path_factory.mktemp("temp")),
            )
        component.fn(**kwargs)
        return next(iter(outputs.values())) if len(outputs) == 1 else outputs

    return run


@component
def penguin_examples(
    examples: Output[Examples], drifted: Parameter[bool] = False, span: Parameter[int] = SPAN
) -> None:
    """Stand-in ExampleGen: the penguin rows as train/eval Examples; with `drifted`, the eval
    split drifted (see `drift`)."""
    splits = split_rows(penguin_rows())
    if drifted:
        splits["eval"] = drift(splits["eval"])
    written = write_examples(Path(examples.uri), splits, span)
    examples.properties.update(written.properties)


@dataclass(frozen=True)
class PipelineRuns:
    """The two session pipelines through the local runner, and the store they were recorded in."""

    clean: RunSummary  # penguin_examples -> StatisticsGen -> SchemaGen -> ExampleValidator
    drifted: RunSummary  # ... -> StatisticsGen, ImportSchemaGen(clean schema) -> gate (fails)
    metadata_url: str
    root: Path


@pytest.fixture(scope="session")
def pipeline_runs(tmp_path_factory) -> PipelineRuns:
    """Run the data components for real, once per session; their outputs feed most tests."""
    root = tmp_path_factory.mktemp("pipelines")
    url = f"sqlite://{root}/metadata.sqlite"
    runner = LocalRunner(store=open_store(url), metadata_url=url)

    gen = penguin_examples()
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(
        statistics=stats.outputs["statistics"],
        schema=schema.outputs["schema"],
        fail_on_anomalies=True,
    )
    nodes = [gen, stats, schema, validator]
    clean = runner.run(build(Pipeline(name="clean", components=nodes)), root=str(root))
    assert clean.ok, clean.failed

    curated = root / "curated_schema.pbtxt"
    [schema_artifact] = clean.results["SchemaGen"].outputs["schema"]
    shutil.copy(Path(schema_artifact.uri, "schema.pbtxt"), curated)
    gen = penguin_examples(drifted=True, span=8)
    stats = StatisticsGen(examples=gen.outputs["examples"])
    imported = ImportSchemaGen(schema_file=str(curated))
    gate = ExampleValidator(
        statistics=stats.outputs["statistics"],
        schema=imported.outputs["schema"],
        fail_on_anomalies=True,
    ).with_id("gate")
    nodes = [gen, stats, imported, gate]
    drifted = runner.run(build(Pipeline(name="drifted", components=nodes)), root=str(root))
    assert set(drifted.failed) == {"gate"}, drifted.failed
    return PipelineRuns(clean=clean, drifted=drifted, metadata_url=url, root=root)


def _output(summary: RunSummary, node: str, key: str) -> Any:
    [artifact] = summary.results[node].outputs[key]
    return artifact


@pytest.fixture(scope="session")
def clean_examples(pipeline_runs) -> Examples:
    return _output(pipeline_runs.clean, "penguin_examples", "examples")


@pytest.fixture(scope="session")
def clean_statistics(pipeline_runs) -> Artifact:
    return _output(pipeline_runs.clean, "StatisticsGen", "statistics")


@pytest.fixture(scope="session")
def clean_schema(pipeline_runs) -> Artifact:
    return _output(pipeline_runs.clean, "SchemaGen", "schema")


@pytest.fixture(scope="session")
def drifted_statistics(pipeline_runs) -> Artifact:
    """Statistics of train (clean) and eval (drifted, see `drift`)."""
    return _output(pipeline_runs.drifted, "StatisticsGen", "statistics")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("localhost", port), 1):
            return
        time.sleep(0.2)
    pytest.fail(f"{process.args} did not listen on port {port} within {timeout} s")


@pytest.fixture(scope="session")
def portable_beam_args(tmp_path_factory):
    """Beam args for the portable runner path Flink and Spark use (DESIGN.md): Beam's local job
    service, with SDK workers from an EXTERNAL worker pool, both started here for real."""
    logs = tmp_path_factory.mktemp("beam-portable")
    # The worker pool starts `python` from PATH: the project's virtualenv must come first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    job_port, pool_port = _free_port(), _free_port()
    commands = {
        job_port: ["apache_beam.runners.portability.local_job_service_main", f"--port={job_port}"],
        pool_port: ["apache_beam.runners.worker.worker_pool_main", f"--service_port={pool_port}"],
    }
    processes = []
    try:
        for port, command in commands.items():
            log = logs / f"{port}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", *command],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own group, so its SDK workers stop with it
                )
            processes.append(process)
            _wait_for_port(port, process, log)
        yield (
            "--runner=PortableRunner",
            f"--job_endpoint=localhost:{job_port}",
            "--environment_type=EXTERNAL",
            f"--environment_config=localhost:{pool_port}",
        )
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
