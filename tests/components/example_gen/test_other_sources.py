"""ImportExampleGen, Parquet and custom-reader engines, multi-processing, and TensorFlow reading."""

from __future__ import annotations

import csv
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headrace.components.example_gen import (
    ColumnType,
    Compression,
    EngineOptions,
    ExampleGenError,
    HashSplits,
    csv_to_examples,
    custom_to_examples,
    import_examples,
    parquet_to_examples,
)
from headrace.components.example_gen.encoder import ExampleEncoder
from headrace.components.example_gen.tfrecord import GzipShardWriter, frame, record_crcs
from tests.components.example_gen.example_gen_helpers import read_split, values

ALL = HashSplits(buckets={"all": 1})


def write_tfrecords(path: Path, batch: pa.RecordBatch, gzipped: bool) -> None:
    records = ExampleEncoder().encode(batch)
    framed = bytes(frame(records, record_crcs(records)))
    if gzipped:
        with ThreadPoolExecutor(1) as pool:
            writer = GzipShardWriter(str(path), pool)
            writer.write(framed, len(records))
            writer.close()
    else:
        path.write_bytes(framed)


def _ids(start: int, n: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(range(start, start + n)), pa.array([f"g{i % 5}" for i in range(n)])],
        ["id", "group"],
    )


def test_import_reads_gzipped_and_plain_tfrecords_and_re_splits(tmp_path: Path) -> None:
    write_tfrecords(tmp_path / "part-0.gz", _ids(0, 300), gzipped=True)
    write_tfrecords(tmp_path / "part-1", _ids(300, 200), gzipped=False)

    result = import_examples(str(tmp_path / "part-*"), str(tmp_path / "out"))

    assert result.total_rows == 500
    assert result.column_types == {}
    ids = sorted(
        values(e, "id") for s in ("train", "eval") for e in read_split(tmp_path / "out", s)
    )
    assert ids == list(range(500))


def test_import_pre_split_and_partition_feature(tmp_path: Path) -> None:
    write_tfrecords(tmp_path / "train.gz", _ids(0, 100), gzipped=True)
    write_tfrecords(tmp_path / "test.gz", _ids(100, 10), gzipped=True)
    pre = import_examples(
        [("train", str(tmp_path / "train.gz")), ("test", str(tmp_path / "test.gz"))],
        str(tmp_path / "pre"),
    )
    assert pre.rows_per_split == {"train": 100, "test": 10}

    import_examples(
        str(tmp_path / "*.gz"), str(tmp_path / "part"), splits=HashSplits(partition_feature="group")
    )
    groups = {
        name: {values(e, "group") for e in read_split(tmp_path / "part", name)}
        for name in ("train", "eval")
    }
    assert not groups["train"] & groups["eval"]
    assert groups["train"] | groups["eval"] == {b"g0", b"g1", b"g2", b"g3", b"g4"}


def test_import_of_a_file_that_is_not_gzip_says_so(tmp_path: Path) -> None:
    (tmp_path / "data.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ExampleGenError, match=r"data\.gz: cannot read it as a GZIP TFRecord file"):
        import_examples(str(tmp_path / "data.gz"), str(tmp_path / "out"))
    with pytest.raises(ExampleGenError, match=r"record at uncompressed byte 0 is corrupt"):
        import_examples(
            str(tmp_path / "data.gz"), str(tmp_path / "out"), compression=Compression.NONE
        )
    assert sorted(os.listdir(tmp_path)) == ["data.gz"]


def test_parquet_is_streamed_by_row_groups_with_lists_and_nulls(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array(range(1000), pa.int32()),
            "score": pa.array([None if i % 10 == 0 else i / 4 for i in range(1000)]),
            "name": pa.array([f"n{i}" for i in range(1000)]).dictionary_encode(),
            "tags": pa.array([[i, i + 1] if i % 2 else [] for i in range(1000)]),
            "ok": pa.array([i % 3 == 0 for i in range(1000)]),
        }
    )
    pq.write_table(table.slice(0, 600), tmp_path / "a.parquet", row_group_size=100)
    pq.write_table(table.slice(600), tmp_path / "b.parquet", row_group_size=100)

    result = parquet_to_examples(
        str(tmp_path / "*.parquet"),
        str(tmp_path / "out"),
        splits=ALL,
        options=EngineOptions(unit_bytes=1),
    )

    assert result.total_rows == 1000
    assert result.column_types == {
        "id": ColumnType.INT,
        "score": ColumnType.FLOAT,
        "name": ColumnType.STRING,
        "tags": ColumnType.INT,
        "ok": ColumnType.INT,
    }
    assert len(os.listdir(tmp_path / "out" / "Split-all")) == 10  # one unit per row group
    by_id = {values(e, "id"): e for e in read_split(tmp_path / "out", "all")}
    assert by_id[7]["tags"] == ("int", [7, 8])
    assert by_id[10]["score"] == (None, [])
    assert by_id[9]["name"] == ("bytes", [b"n9"])
    assert by_id[9]["ok"] == ("int", [1])


def test_parquet_column_without_an_example_kind_is_an_error(tmp_path: Path) -> None:
    pq.write_table(pa.table({"when": pa.array([1, 2], pa.timestamp("s"))}), tmp_path / "t.parquet")
    message = r"t\.parquet: column 'when' has type timestamp\[ms\], which a tf.Example cannot"
    with pytest.raises(ExampleGenError, match=message):
        parquet_to_examples(str(tmp_path / "t.parquet"), str(tmp_path / "out"))


def read_lines_as_dicts(path: str):
    """A custom reader: one dict per line `key=value;...`, values ints or strings."""
    with open(path) as f:
        for line in f:
            row = dict(part.split("=") for part in line.strip().split(";"))
            yield {k: int(v) if v.isdigit() else v for k, v in row.items()}


def read_batches(path: str):
    yield pa.RecordBatch.from_arrays([pa.array([1.5, 2.5])], ["x"])


def test_custom_reader_yielding_dicts(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x=1;name=ann\nx=2\n")
    (tmp_path / "b.txt").write_text("x=3;name=bob\n")

    result = custom_to_examples(
        str(tmp_path / "*.txt"), str(tmp_path / "out"), read_fn=read_lines_as_dicts, splits=ALL
    )

    assert result.total_rows == 3
    assert result.column_types == {"x": ColumnType.INT, "name": ColumnType.STRING}
    rows = sorted((values(e, "x"), values(e, "name")) for e in read_split(tmp_path / "out", "all"))
    assert rows == [(1, b"ann"), (2, None), (3, b"bob")]


def test_custom_reader_whose_column_changes_kind_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x=1\n")
    with pytest.raises(
        ExampleGenError, match=r"column 'x' holds values of different kinds \(float, int\)"
    ):
        custom_to_examples(
            [("a", str(tmp_path / "a.txt")), ("b", str(tmp_path / "a.txt"))],
            str(tmp_path / "out"),
            read_fn=_alternate,
        )
    assert not (tmp_path / "out").exists()


def _alternate(path: str):
    yield from read_lines_as_dicts(path)
    yield from read_batches(path)


def _taxi_like(path: Path, rows: int) -> None:
    rng = random.Random(11)
    companies = ["Flash Cab", "Taxi Affiliation Services", "", "Sun Taxi"]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trip_seconds", "fare", "company", "pickup_latitude", "tips"])
        for n in range(rows):
            writer.writerow(
                [
                    rng.randint(0, 5000) if n % 5 else "",
                    f"{rng.random() * 50:.2f}",
                    rng.choice(companies),
                    f"{41.8 + rng.random() / 10:.6f}" if n % 3 else "",
                    rng.choice(["0", "1.5", ""]),
                ]
            )


@pytest.mark.slow
def test_rows_in_equal_rows_out_under_multi_processing(tmp_path: Path) -> None:
    _taxi_like(tmp_path / "taxi.csv", 15_002)
    options = EngineOptions(
        unit_bytes=100_000,
        beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"),
    )

    parallel = csv_to_examples(str(tmp_path / "taxi.csv"), str(tmp_path / "mp"), options=options)
    serial = csv_to_examples(
        str(tmp_path / "taxi.csv"),
        str(tmp_path / "serial"),
        options=EngineOptions(unit_bytes=100_000),
    )

    assert parallel.total_rows == 15_002
    assert parallel.rows_per_split == serial.rows_per_split
    assert len(os.listdir(tmp_path / "mp" / "Split-train")) > 3
    for split in ("train", "eval"):
        assert sorted(map(repr, read_split(tmp_path / "mp", split))) == sorted(
            map(repr, read_split(tmp_path / "serial", split))
        )


def test_tensorflow_reads_the_output(tmp_path: Path) -> None:
    _taxi_like(tmp_path / "taxi.csv", 500)
    result = csv_to_examples(str(tmp_path / "taxi.csv"), str(tmp_path / "out"))

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    files = sorted(str(p) for p in (tmp_path / "out").glob("Split-*/*.gz"))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    serialized = [record.numpy() for record in dataset]
    assert len(serialized) == result.total_rows == 500
    parsed = tf.io.parse_example(
        serialized,
        {
            "trip_seconds": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
            "fare": tf.io.FixedLenFeature([], tf.float32),
            "company": tf.io.VarLenFeature(tf.string),
            "pickup_latitude": tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
        },
    )
    seconds = parsed["trip_seconds"].numpy()
    assert (seconds == -1).sum() == 100  # every fifth row has no trip_seconds: the default
    assert ((seconds >= 0) & (seconds <= 5000)).sum() == 400
    companies = tf.sparse.to_dense(parsed["company"], default_value=b"?").numpy()
    assert set(companies.ravel()) <= {b"Flash Cab", b"Taxi Affiliation Services", b"Sun Taxi", b"?"}
    assert (companies.ravel() == b"?").sum() > 50  # empty company cells are missing


def test_beam_reads_the_multi_member_gzip_output(penguins: Path, tmp_path: Path) -> None:
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    result = csv_to_examples(
        str(penguins), str(tmp_path / "out"), options=EngineOptions(gzip_member_bytes=2048)
    )

    with beam.Pipeline() as p:
        counted = (
            p
            | beam.io.ReadFromTFRecord(str(tmp_path / "out" / "Split-*" / "*.gz"))
            | beam.combiners.Count.Globally()
        )
        assert_that(counted, equal_to([result.total_rows]))
