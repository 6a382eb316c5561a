"""The ExampleGen nodes (TFX's constructor arguments) run through the real local runner and MLMD."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from headrace import Pipeline
from headrace.components import (
    CsvExampleGen,
    FileBasedExampleGen,
    ImportExampleGen,
    ParquetExampleGen,
    StatisticsGen,
)
from headrace.errors import DefinitionError
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.types import Examples
from tests.components.example_gen.example_gen_helpers import DATA, read_split, split_files

ROWS = 334  # penguins_processed.csv, without its header


@pytest.fixture
def runner(tmp_path):
    url = f"sqlite://{tmp_path}/metadata.sqlite"
    return LocalRunner(store=open_store(url), metadata_url=url)


def _run(runner, tmp_path, *nodes, name="gen"):
    return runner.run(build(Pipeline(name=name, components=list(nodes))), root=str(tmp_path))


def _examples(summary, node="CsvExampleGen") -> Examples:
    [examples] = summary.results[node].outputs["examples"]
    return examples


def test_csv_example_gen_writes_tfx_layout_records_properties_and_caches_on_data(
    runner, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "penguins_processed.csv", data / "penguins.csv")
    gen = CsvExampleGen(input_base=str(data))

    first = _run(runner, tmp_path, gen)
    assert first.ok, first.failed
    examples = _examples(first)
    assert json.loads(examples.split_names) == ["train", "eval"]
    assert examples.span == 0
    rows = json.loads(examples.properties["rows_per_split"])
    assert sum(rows.values()) == ROWS and rows["train"] > rows["eval"] > 0
    assert len(read_split(examples.uri, "train")) == rows["train"]
    assert all(f.endswith(".gz") for f in split_files(examples.uri, "eval"))
    assert json.loads(examples.properties["column_types"])["species"] == "int"

    again = _run(runner, tmp_path, gen)
    assert again.results["CsvExampleGen"].outcome == "cached"

    # New data under input_base must not be served from the cache.
    with open(data / "penguins.csv", "a") as f:
        f.write("0.5,0.5,0.5,0.5,1\n")
    os.utime(data / "penguins.csv", ns=(time.time_ns(), time.time_ns() + 1))
    changed = _run(runner, tmp_path, gen)
    assert changed.results["CsvExampleGen"].outcome == "executed"
    rows = json.loads(_examples(changed).properties["rows_per_split"])
    assert sum(rows.values()) == ROWS + 1


def test_tfx_dict_configs_pre_split_input_and_span_ranges(runner, tmp_path):
    data = tmp_path / "data"
    for span in (1, 2, 3):
        (data / f"span-{span}").mkdir(parents=True)
        lines = (DATA / "penguins_processed.csv").read_text().splitlines()
        (data / f"span-{span}" / "part.csv").write_text("\n".join(lines[: 1 + 10 * span]) + "\n")
    latest = CsvExampleGen(
        input_base=str(data),
        input_config={"splits": [{"name": "single_split", "pattern": "span-{SPAN}/*.csv"}]},
        output_config={"split_config": {"splits": [
            {"name": "train", "hash_buckets": 3},
            {"name": "eval", "hash_buckets": 1},
            {"name": "test", "hash_buckets": 1},
        ]}},
    ).with_id("latest")
    ranged = CsvExampleGen(
        input_base=str(data), input_config="span-{SPAN}/*.csv", range_config=(1, 2)
    ).with_id("ranged")
    pre_split = CsvExampleGen(
        input_base=str(data), input_config={"train": "span-3/*", "eval": "span-1/*"}
    ).with_id("pre_split")

    summary = _run(runner, tmp_path, latest, ranged, pre_split)
    assert summary.ok, summary.failed
    latest_out = _examples(summary, "latest")
    assert latest_out.span == 3
    assert json.loads(latest_out.split_names) == ["train", "eval", "test"]
    assert sum(json.loads(latest_out.properties["rows_per_split"]).values()) == 30
    ranged_out = _examples(summary, "ranged")
    assert sum(json.loads(ranged_out.properties["rows_per_split"]).values()) == 10 + 20
    split_rows = json.loads(_examples(summary, "pre_split").properties["rows_per_split"])
    assert split_rows == {"train": 30, "eval": 10}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_base": None}, "input_base must be the directory"),
        ({"output_config": {"train": 0, "eval": 1}}, "hash_buckets 0"),
        ({"input_config": {"train": "a/*", "eval": "b/*"}, "output_config": {"x": 1}},
         "pre-split"),
        ({"range_config": {"rolling_range": {"num_spans": 2}}}, "rolling_range"),
        ({"range_config": (5, 2)}, "span range 5..2"),
        ({"output_config": {"train": 1, "Split/../x": 1}}, "not allowed"),
        ({"input_config": "{not json"}, "not JSON"),
        ({"engine_options": {"unit_byte": 5}}, "engine_options"),
    ],
)
def test_bad_configs_fail_when_the_node_is_made(kwargs, match):
    kwargs = {"input_base": "/data", **kwargs}
    with pytest.raises(DefinitionError, match=match):
        CsvExampleGen(**kwargs)


def test_bad_csv_fails_the_node_and_publishes_nothing(runner, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad.csv").write_text("a,b\n1,2\n3,4,5\n")
    gen = CsvExampleGen(input_base=str(data))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    summary = _run(runner, tmp_path, gen, stats)
    assert set(summary.failed) == {"CsvExampleGen"} and summary.not_run == ("StatisticsGen",)
    message = str(summary.failed["CsvExampleGen"])
    assert "bad.csv" in message and "line 3" in message
    assert runner.store.artifacts_of_type("gen", Examples.TYPE_NAME) == []
    assert not any((tmp_path / "gen" / "CsvExampleGen" / "examples").glob("*/*"))


def test_import_and_parquet_example_gens(runner, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = tmp_path / "parquet"
    parquet.mkdir()
    pq.write_table(pa.table({"x": list(range(90)), "tags": [["a", "b"]] * 90}),
                   parquet / "part.parquet")
    from_parquet = ParquetExampleGen(input_base=str(parquet))
    summary = _run(runner, tmp_path, from_parquet)
    assert summary.ok, summary.failed
    parquet_out = _examples(summary, "ParquetExampleGen")

    reimport = ImportExampleGen(
        input_base=parquet_out.uri, input_config={"train": "Split-train/*", "eval": "Split-eval/*"}
    )
    summary = _run(runner, tmp_path, reimport, name="reimport")
    assert summary.ok, summary.failed
    rows = json.loads(_examples(summary, "ImportExampleGen").properties["rows_per_split"])
    assert rows == json.loads(parquet_out.properties["rows_per_split"])
    assert sum(rows.values()) == 90


def test_file_based_example_gen_calls_the_users_read_fn(runner, tmp_path):
    data = tmp_path / "texts"
    data.mkdir()
    for i in range(12):
        (data / f"doc{i}.txt").write_text("word " * (i + 1))
    module = tmp_path / "reader.py"
    module.write_text(
        "import os\n"
        "def read_fn(path):\n"
        "    text = open(path).read()\n"
        "    yield {'name': os.path.basename(path), 'words': len(text.split())}\n"
    )
    gen = FileBasedExampleGen(
        input_base=str(data), module_file=str(module), output_config={"train": 1, "eval": 1}
    )
    summary = _run(runner, tmp_path, gen)
    assert summary.ok, summary.failed
    out = _examples(summary, "FileBasedExampleGen")
    rows = read_split(out.uri, "train") + read_split(out.uri, "eval")
    assert len(rows) == 12
    with pytest.raises(DefinitionError, match=r"missing\.py"):
        FileBasedExampleGen(input_base=str(data), module_file=str(tmp_path / "missing.py"))
