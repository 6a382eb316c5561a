"""ExampleValidator: no anomalies on clean penguins, the right ones on drifted data, a readable
table either way, and fail_on_anomalies failing the node with nothing published; plus the data
components run for real in pipelines through the local runner."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from headrace import Output, Parameter, Pipeline, component
from headrace.components.data_errors import AnomaliesFoundError
from headrace.components.example_validator import ExampleValidator
from headrace.components.schema_gen import ImportSchemaGen
from headrace.components.statistics_gen import StatisticsGen
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.types import Examples


def _anomalies(artifact, split):
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    path = Path(artifact.uri, f"Split-{split}", "SchemaDiff.pb")
    return anomalies_pb2.Anomalies.FromString(path.read_bytes())


def _kinds(anomalies):
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    return {
        feature: {anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason}
        for feature, info in anomalies.anomaly_info.items()
    }


DRIFT = {
    "body_mass_g": {"SCHEMA_MISSING_COLUMN"},
    "culmen_length_mm": {"UNEXPECTED_DATA_TYPE"},
    "species_name": {"ENUM_TYPE_UNEXPECTED_STRING_VALUES"},
}


def test_clean_penguins_have_no_anomalies(run_component, clean_statistics, clean_schema, capsys):
    anomalies = run_component(
        ExampleValidator, statistics=clean_statistics, schema=clean_schema, fail_on_anomalies=True
    )
    for split in ("train", "eval"):
        assert _kinds(_anomalies(anomalies, split)) == {}
    assert anomalies.properties["blessed"] == {"train": 1, "eval": 1}
    assert anomalies.properties["split_names"] == '["train", "eval"]'
    assert anomalies.properties["span"] == 7
    out = capsys.readouterr().out
    assert "split 'train': no anomalies" in out and "split 'eval': no anomalies" in out


def test_drifted_data_is_recorded_and_printed(
    run_component, drifted_statistics, clean_schema, capsys
):
    anomalies = run_component(ExampleValidator, statistics=drifted_statistics, schema=clean_schema)
    assert _kinds(_anomalies(anomalies, "train")) == {}
    assert _kinds(_anomalies(anomalies, "eval")) == DRIFT
    assert anomalies.properties["blessed"] == {"train": 1, "eval": 0}
    assert anomalies.properties["span"] == 8
    out = capsys.readouterr().out
    assert "split 'eval': 3 anomalies" in out
    table = out[out.index("split 'eval'") :].splitlines()
    assert table[1].split() == ["feature", "kind", "description"]
    assert [line.split()[0] for line in table[2:5]] == sorted(DRIFT)  # one row per feature
    assert "Column dropped [SCHEMA_MISSING_COLUMN]" in table[2]
    assert "Expected data of type: FLOAT but got STRING" in table[3]
    assert "Examples contain values missing from the schema: Emperor" in table[4]


def test_fail_on_anomalies_lists_them_in_the_error(run_component, drifted_statistics, clean_schema):
    with pytest.raises(AnomaliesFoundError) as raised:
        run_component(
            ExampleValidator,
            statistics=drifted_statistics,
            schema=clean_schema,
            fail_on_anomalies=True,
        )
    message = str(raised.value)
    assert message.startswith("ExampleValidator found 3 anomalies and fail_on_anomalies=True")
    for feature in DRIFT:
        assert feature in message
    assert "Emperor" in message and "split 'eval'" in message and "split 'train'" not in message
    # Excluding the drifted split passes the gate.
    passed = run_component(
        ExampleValidator,
        statistics=drifted_statistics,
        schema=clean_schema,
        exclude_splits=["eval"],
        fail_on_anomalies=True,
    )
    assert passed.properties["split_names"] == '["train"]'
    assert [p.name for p in Path(passed.uri).iterdir()] == ["Split-train"]


# --- The session pipelines (conftest.pipeline_runs), run through the local runner -------------


def test_clean_pipeline_publishes_every_output(pipeline_runs):
    summary = pipeline_runs.clean
    assert set(summary.results) == {
        "penguin_examples",
        "StatisticsGen",
        "SchemaGen",
        "ExampleValidator",
    }
    [anomalies] = summary.results["ExampleValidator"].outputs["anomalies"]
    assert anomalies.properties["blessed"] == {"train": 1, "eval": 1}  # read back from MLMD
    assert anomalies.properties["span"] == 7
    [statistics] = summary.results["StatisticsGen"].outputs["statistics"]
    assert statistics.properties["split_names"] == '["train", "eval"]'
    [schema] = summary.results["SchemaGen"].outputs["schema"]
    assert Path(schema.uri, "schema.pbtxt").is_file()


def test_drifted_pipeline_fails_at_the_gate_and_publishes_nothing(pipeline_runs):
    summary = pipeline_runs.drifted
    assert set(summary.results) == {"penguin_examples", "StatisticsGen", "ImportSchemaGen"}
    error = str(summary.failed["gate"])
    assert error.startswith("Node 'gate': ExampleValidator found 3 anomalies")
    assert all(feature in error for feature in DRIFT) and "Emperor" in error
    store = open_store(pipeline_runs.metadata_url)
    [execution] = store.run_executions("drifted", summary.run_id, "gate")
    assert execution.state == "FAILED" and execution.outputs == {}
    assert not Path(pipeline_runs.root, "drifted", "gate", "anomalies", str(execution.id)).exists()
    [imported] = summary.results["ImportSchemaGen"].outputs["schema"]
    assert Path(imported.uri, "schema.pbtxt").is_file()


@component
def copy_examples(source: Parameter[str], examples: Output[Examples]) -> None:
    """Publish a copy of an Examples directory, its splits named by its Split-* directories."""
    for name in os.listdir(source):
        shutil.copytree(os.path.join(source, name), os.path.join(examples.uri, name))
    examples.properties["split_names"] = json.dumps(
        sorted(n.removeprefix("Split-") for n in os.listdir(source))
    )


def _run(url, root, pipeline):
    return LocalRunner(store=open_store(url), metadata_url=url).run(build(pipeline), root=str(root))


def test_pipeline_beam_args_and_schema_file_errors_reach_the_node(sqlite_url, tmp_path):
    # Neither node gets to run a Beam job or read its file, so no real data is needed.
    def pipeline(source):
        Path(source, "Split-train").mkdir(parents=True)
        gen = copy_examples(source=str(source))
        stats = StatisticsGen(examples=gen.outputs["examples"])
        return Pipeline(
            name="beam", components=[gen, stats.with_beam_args(["--runner=NoSuchRunner"])]
        )

    summary = _run(sqlite_url, tmp_path / "root", pipeline(tmp_path / "empty"))
    assert "split 'train'" in str(summary.failed["StatisticsGen"])  # checked before Beam starts
    assert "has no files" in str(summary.failed["StatisticsGen"])

    with_file = pipeline(tmp_path / "one-file")
    (tmp_path / "one-file" / "Split-train" / "data.gz").write_bytes(b"")
    summary = _run(sqlite_url, tmp_path / "root", with_file)
    assert "Unexpected pipeline runner: NoSuchRunner" in str(summary.failed["StatisticsGen"])

    missing = ImportSchemaGen(schema_file=str(tmp_path / "missing.pbtxt"))
    summary = _run(sqlite_url, tmp_path / "root", Pipeline(name="schema", components=[missing]))
    assert "parameter 'schema_file': cannot read" in str(summary.failed["ImportSchemaGen"])
