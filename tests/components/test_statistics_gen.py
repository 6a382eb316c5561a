"""StatisticsGen on real penguin TFRecords: per-split TFDV statistics in the TFX layout,
exclude_splits, the optional schema input, clear data errors, and Beam args that really apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrace.components.data_errors import DataError
from headrace.components.statistics_gen import StatisticsGen
from headrace.errors import DefinitionError
from headrace.types import Examples, Schema

FEATURES = {
    "species",
    "species_name",
    "culmen_length_mm",
    "culmen_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
}


def _stats(artifact, split):
    import tensorflow_data_validation as tfdv

    return tfdv.load_stats_binary(str(Path(artifact.uri, f"Split-{split}", "FeatureStats.pb")))


def _comparable(artifact, split):
    """One split's statistics as plain values with floats rounded to 9 digits: how Beam bundles
    the rows (which its arguments change) changes the feature order and float summation order."""
    from google.protobuf.json_format import MessageToDict

    def rounded(value):
        if isinstance(value, float):
            return float(f"{value:.9g}")
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    [dataset] = _stats(artifact, split).datasets
    features = {f.path.step[0]: rounded(MessageToDict(f)) for f in dataset.features}
    return dataset.num_examples, features


def _feature(dataset, name):
    [feature] = [f for f in dataset.features if f.path.step == [name]]
    return feature


def test_statistics_per_split_in_the_tfx_layout(clean_statistics, clean_examples, penguin_splits):
    from tensorflow_metadata.proto.v0 import statistics_pb2

    expected = {k: len(v) for k, v in penguin_splits.items()}
    assert sorted(p.name for p in Path(clean_statistics.uri).iterdir()) == [
        "Split-eval",
        "Split-train",
    ]
    for split, rows in expected.items():
        stats = _stats(clean_statistics, split)
        assert isinstance(stats, statistics_pb2.DatasetFeatureStatisticsList)
        [dataset] = stats.datasets
        assert dataset.num_examples == rows  # both shards of the split were read
        assert {f.path.step[0] for f in dataset.features} == FEATURES
    assert sum(expected.values()) == 334
    assert json.loads(clean_statistics.properties["split_names"]) == ["train", "eval"]
    assert clean_statistics.properties["split_names"] == '["train", "eval"]'  # as TFX writes it
    assert clean_statistics.properties["span"] == clean_examples.properties["span"] == 7
    train = _stats(clean_statistics, "train").datasets[0]
    assert _feature(train, "species").HasField("num_stats")  # an int, numeric without a schema
    top = _feature(train, "species_name").string_stats.top_values
    assert sorted(v.value for v in top) == ["Adelie", "Chinstrap", "Gentoo"]


def test_exclude_splits_schema_input_and_stats_options(
    run_component, clean_examples, clean_schema, tmp_path
):
    import tensorflow_data_validation as tfdv

    # A schema that declares the int `species` categorical makes TFDV count its values.
    schema = tfdv.load_schema_text(str(Path(clean_schema.uri, "schema.pbtxt")))
    tfdv.get_feature(schema, "species").int_domain.is_categorical = True
    tfdv.write_schema_text(schema, str(tmp_path / "schema.pbtxt"))

    statistics = run_component(
        StatisticsGen,
        examples=clean_examples,
        schema=Schema(str(tmp_path)),
        exclude_splits=["eval"],
        stats_options={"num_top_values": 2},
    )
    assert [p.name for p in Path(statistics.uri).iterdir()] == ["Split-train"]
    assert statistics.properties["split_names"] == '["train"]'
    train = _stats(statistics, "train").datasets[0]
    species = _feature(train, "species")
    assert species.HasField("string_stats") and not species.HasField("num_stats")
    assert len(_feature(train, "species_name").string_stats.top_values) == 2


def test_exclude_splits_must_name_existing_splits(run_component, clean_examples):
    with pytest.raises(DataError, match=r"exclude_splits names \['test'\].*only the splits"):
        run_component(StatisticsGen, examples=clean_examples, exclude_splits=["test"])
    with pytest.raises(DataError, match="excludes every split"):
        run_component(StatisticsGen, examples=clean_examples, exclude_splits=["train", "eval"])


def test_bad_examples_artifacts_fail_clearly(run_component, tmp_path):
    (tmp_path / "Split-train").mkdir()
    empty = Examples(str(tmp_path), {"split_names": '["train"]'})
    with pytest.raises(DataError, match=r"split 'train' .* has no files"):
        run_component(StatisticsGen, examples=empty)
    with pytest.raises(DataError, match="has no 'split_names' property"):
        run_component(StatisticsGen, examples=Examples(str(tmp_path)))
    with pytest.raises(DefinitionError, match=r"not valid tfdv\.StatsOptions"):
        run_component(StatisticsGen, examples=empty, stats_options={"no_such_option": 1})


def test_a_feature_with_two_types_in_one_split_is_a_clear_data_error(
    run_component, make_examples, penguin_records
):
    rows = penguin_records[:20]
    rows[3] = {**rows[3], "culmen_length_mm": "n/a"}
    examples = make_examples({"train": rows})
    with pytest.raises(DataError, match=r"Feature had wrong type.*culmen_length_mm.*same type"):
        run_component(StatisticsGen, examples=examples)


def test_a_column_without_values_in_a_split_keeps_the_type_example_gen_found(
    run_component, make_examples, penguin_records
):
    # TFX's taxi data: one pickup_census_tract in 15,000 rows, so the train split has none.
    from headrace.components.schema_gen import SchemaGen

    train = [{**row, "tract": None} for row in penguin_records[:30]]
    evaluation = [{**row, "tract": 17031081401 if i == 0 else None}
                  for i, row in enumerate(penguin_records[30:40])]
    examples = make_examples({"train": train, "eval": evaluation})
    examples.properties["column_types"] = json.dumps({"tract": "int", "species_name": "string"})
    statistics = run_component(StatisticsGen, examples=examples)
    [train_stats] = _stats(statistics, "train").datasets
    tract = _feature(train_stats, "tract")
    assert tract.type == tract.INT and tract.num_stats.common_stats.num_missing == 30
    schema = run_component(SchemaGen, statistics=statistics)
    text = Path(schema.uri, "schema.pbtxt").read_text()
    assert 'name: "tract"\n  type: INT' in text


def test_beam_args_reach_beam(run_component, clean_examples, clean_statistics):
    threaded = run_component(
        StatisticsGen,
        examples=clean_examples,
        beam_args=("--direct_running_mode=multi_threading", "--direct_num_workers=2"),
    )
    for split in ("train", "eval"):
        assert _comparable(threaded, split) == _comparable(clean_statistics, split)
    with pytest.raises(ValueError, match="NoSuchRunner"):
        run_component(StatisticsGen, examples=clean_examples, beam_args=("--runner=NoSuchRunner",))


@pytest.mark.slow
def test_multi_processing_direct_runner_gives_equal_statistics(
    run_component, clean_examples, clean_statistics
):
    statistics = run_component(
        StatisticsGen,
        examples=clean_examples,
        beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"),
    )
    for split in ("train", "eval"):
        assert _comparable(statistics, split) == _comparable(clean_statistics, split)


@pytest.mark.slow
def test_portable_runner_with_an_external_worker_pool(
    run_component, clean_examples, clean_statistics, portable_beam_args
):
    statistics = run_component(StatisticsGen, examples=clean_examples, beam_args=portable_beam_args)
    for split in ("train", "eval"):
        assert _comparable(statistics, split) == _comparable(clean_statistics, split)
