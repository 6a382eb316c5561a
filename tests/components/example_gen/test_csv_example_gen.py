"""CsvExampleGen's engine end to end: CSV files in, split gzipped tf.Example TFRecords out."""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from headrace.components.example_gen import (
    ColumnType,
    EngineOptions,
    ExampleGenError,
    HashSplits,
    InputSplit,
    csv_to_examples,
)
from tests.components.example_gen.example_gen_helpers import (
    read_split,
    split_files,
    values,
)

ALL = HashSplits(buckets={"all": 1})


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_penguins_default_split_types_and_counts(penguins: Path, tmp_path: Path) -> None:
    result = csv_to_examples(str(penguins), str(tmp_path / "out"))

    assert result.split_names == ("train", "eval")
    assert result.total_rows == 334
    assert 334 * 0.55 < result.rows_per_split["train"] < 334 * 0.8  # 2:1 buckets
    assert result.column_types == {
        "species": ColumnType.INT,
        "culmen_length_mm": ColumnType.FLOAT,
        "culmen_depth_mm": ColumnType.FLOAT,
        "flipper_length_mm": ColumnType.FLOAT,
        "body_mass_g": ColumnType.FLOAT,
    }
    assert (result.span, result.version) == (0, None)
    assert [os.path.basename(p) for p in split_files(tmp_path / "out", "train")] == [
        "data_tfrecord-00000-of-00001.gz"
    ]
    train = read_split(tmp_path / "out", "train")
    evaluation = read_split(tmp_path / "out", "eval")
    assert (len(train), len(evaluation)) == (
        result.rows_per_split["train"],
        result.rows_per_split["eval"],
    )
    with open(penguins) as f:
        first = next(iter(csv.DictReader(f)))
    matching = [
        e
        for e in train + evaluation
        if values(e, "body_mass_g") == pytest.approx(float(first["body_mass_g"]))
    ]
    assert matching and values(matching[0], "species") == int(first["species"])
    assert {values(e, "species") for e in train} == {0, 1, 2}
    assert sorted(os.listdir(tmp_path)) == ["out", "penguins.csv"]  # no staging left


def test_types_are_inferred_over_the_whole_input_and_empty_cells_are_missing(
    tmp_path: Path,
) -> None:
    header = ["i", "mixed", "word", "empty", "flag", "na", "huge", "spaced"]
    rows = [[n, n, n, "", "true", "NA", 1, f" {n} "] for n in range(50)]
    rows.append(["", "2.5", "abc", "", "false", "NA", "99999999999999999999", ""])
    write_csv(tmp_path / "a.csv", header, rows)
    # A second file: the whole input decides, not the first file or block.
    write_csv(tmp_path / "b.csv", header, [[7, 8, 9, "", "true", "x", 2, "3"]])

    result = csv_to_examples(str(tmp_path / "*.csv"), str(tmp_path / "out"), splits=ALL)

    assert result.column_types == {
        "i": ColumnType.INT,
        "mixed": ColumnType.FLOAT,
        "word": ColumnType.STRING,
        "empty": ColumnType.STRING,  # no value at all
        "flag": ColumnType.STRING,
        "na": ColumnType.STRING,  # only an empty cell is missing
        "huge": ColumnType.FLOAT,  # beyond int64
        "spaced": ColumnType.INT,  # spaces around numbers are trimmed, as by the CSV reader
    }
    examples = read_split(tmp_path / "out", "all")
    assert len(examples) == 52
    by_word = {values(e, "word"): e for e in examples}
    last = by_word[b"abc"]
    assert last["i"] == (None, [])  # the key with an empty Feature: TFX's missing value
    assert last["empty"] == (None, [])
    assert last["spaced"] == (None, [])
    assert last["mixed"] == ("float", [2.5])
    assert last["huge"] == ("float", [pytest.approx(1e20)])
    assert by_word[b"9"]["i"] == ("int", [7])
    assert by_word[b"9"]["mixed"] == ("float", [8.0])
    assert by_word[b"9"]["na"] == ("bytes", [b"x"])
    assert by_word[b"3"]["spaced"] == ("int", [3])


def test_a_late_wider_value_changes_the_type_of_rows_already_read(tmp_path: Path) -> None:
    # Ints, then one float and one word late in the file: guesses from the first block are
    # wrong both within a work unit and across units.
    rows: list[list[object]] = [[n, n, f"{n}"] for n in range(60_000)]
    rows[50_000] = [50_000, 2.5, "w"]
    write_csv(tmp_path / "late.csv", ["id", "x", "y"], rows)

    result = csv_to_examples(
        str(tmp_path / "late.csv"),
        str(tmp_path / "out"),
        splits=ALL,
        options=EngineOptions(unit_bytes=1 << 18, block_bytes=1 << 15),
    )

    assert result.column_types == {
        "id": ColumnType.INT,
        "x": ColumnType.FLOAT,
        "y": ColumnType.STRING,
    }
    assert len(split_files(tmp_path / "out", "all")) > 2
    examples = read_split(tmp_path / "out", "all")
    assert len(examples) == 60_000
    assert {e["x"][0] for e in examples} == {"float"}
    assert {e["y"][0] for e in examples} == {"bytes"}
    by_id = {values(e, "id"): e for e in examples[::997]}
    assert all(values(e, "x") == float(i) for i, e in by_id.items() if i != 50_000)


def test_quoted_fields_span_lines_even_across_work_unit_cuts(tmp_path: Path) -> None:
    rows = [
        [n, f'line one of {n}\nline two,\r\n"quoted"' if n % 7 == 0 else f"plain {n}"]
        for n in range(400)
    ]
    write_csv(tmp_path / "multi.csv", ["id", "text"], rows)

    # 300-byte units: several cuts land inside multi-line fields, so the file is re-read whole.
    result = csv_to_examples(
        str(tmp_path / "multi.csv"),
        str(tmp_path / "out"),
        splits=ALL,
        options=EngineOptions(unit_bytes=300),
    )

    assert result.total_rows == 400
    texts = {values(e, "id"): values(e, "text") for e in read_split(tmp_path / "out", "all")}
    assert texts[14] == b'line one of 14\nline two,\r\n"quoted"'
    assert texts[15] == b"plain 15"


def test_big_files_are_cut_into_units_each_writing_a_shard(tmp_path: Path) -> None:
    write_csv(tmp_path / "big.csv", ["id", "x"], [[n, n * 0.5] for n in range(5000)])

    result = csv_to_examples(
        str(tmp_path / "big.csv"), str(tmp_path / "out"), options=EngineOptions(unit_bytes=8000)
    )

    shards = split_files(tmp_path / "out", "train")
    assert len(shards) > 5
    assert all(re.search(rf"data_tfrecord-\d{{5}}-of-{len(shards):05d}\.gz$", s) for s in shards)
    ids = sorted(
        values(e, "id") for s in ("train", "eval") for e in read_split(tmp_path / "out", s)
    )
    assert ids == list(range(5000))
    assert result.total_rows == 5000


def _split_of_ids(output_dir: Path, names: list[str]) -> dict[int, str]:
    return {values(e, "id"): name for name in names for e in read_split(output_dir, name)}


def test_hash_splits_follow_the_ratios_and_do_not_depend_on_sharding(tmp_path: Path) -> None:
    rng = random.Random(7)
    write_csv(tmp_path / "d.csv", ["id", "v"], [[n, rng.random()] for n in range(6000)])
    splits = HashSplits(buckets={"a": 1, "b": 2, "c": 7})

    one = csv_to_examples(str(tmp_path / "d.csv"), str(tmp_path / "one"), splits=splits)
    many = csv_to_examples(
        str(tmp_path / "d.csv"),
        str(tmp_path / "many"),
        splits=splits,
        options=EngineOptions(unit_bytes=10_000),
    )

    for name, share in (("a", 0.1), ("b", 0.2), ("c", 0.7)):
        assert one.rows_per_split[name] == pytest.approx(6000 * share, rel=0.12)
    assert one.rows_per_split == many.rows_per_split
    assert _split_of_ids(tmp_path / "one", ["a", "b", "c"]) == _split_of_ids(
        tmp_path / "many", ["a", "b", "c"]
    )


def test_partition_feature_keeps_equal_values_in_one_split(tmp_path: Path) -> None:
    rows = [[n, f"user{n % 40}" if n % 11 else ""] for n in range(2000)]
    write_csv(tmp_path / "p.csv", ["id", "user"], rows)

    csv_to_examples(
        str(tmp_path / "p.csv"), str(tmp_path / "out"), splits=HashSplits(partition_feature="user")
    )

    seen: dict[object, set[str]] = {}
    for name in ("train", "eval"):
        for example in read_split(tmp_path / "out", name):
            seen.setdefault(values(example, "user"), set()).add(name)
    assert len(seen) == 41  # 40 users and the missing value
    assert all(len(splits) == 1 for splits in seen.values())
    assert {next(iter(s)) for s in seen.values()} == {"train", "eval"}


def test_pre_split_input_keeps_its_splits(tmp_path: Path) -> None:
    write_csv(tmp_path / "train.csv", ["id"], [[n] for n in range(30)])
    write_csv(tmp_path / "test.csv", ["id"], [[n] for n in range(100, 110)])

    result = csv_to_examples(
        [
            InputSplit(name="train", pattern=str(tmp_path / "train.csv")),
            ("test", str(tmp_path / "test.csv")),
        ],
        str(tmp_path / "out"),
    )

    assert result.split_names == ("train", "test")
    assert result.rows_per_split == {"train": 30, "test": 10}
    assert sorted(values(e, "id") for e in read_split(tmp_path / "out", "test")) == list(
        range(100, 110)
    )


def test_latest_span_and_version_are_read(tmp_path: Path) -> None:
    for span, version, n in [(1, 0, 5), (2, 0, 6), (2, 1, 7), (10, 3, 8), (10, 12, 9)]:
        folder = tmp_path / f"span-{span}" / f"v{version}"
        folder.mkdir(parents=True)
        write_csv(folder / "data.csv", ["n"], [[n]] * n)

    result = csv_to_examples(
        str(tmp_path / "span-{SPAN}" / "v{VERSION}" / "*.csv"), str(tmp_path / "out"), splits=ALL
    )

    assert (result.span, result.version, result.total_rows) == (10, 12, 9)
    assert result.input_files == (str(tmp_path / "span-10" / "v12" / "data.csv"),)


def _bad_run(tmp_path: Path, name: str, content: bytes, match: str) -> None:
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / name).write_bytes(content)
    with pytest.raises(ExampleGenError, match=match):
        csv_to_examples(str(tmp_path / "in" / name), str(tmp_path / "out"))
    assert sorted(os.listdir(tmp_path)) == ["in"]  # neither output nor staging left behind


def test_row_with_wrong_number_of_fields_names_file_and_line(tmp_path: Path) -> None:
    _bad_run(
        tmp_path,
        "bad.csv",
        b'a,b\n1,2\n"x\ny",3\n4,5,6\n7,8\n',
        r"bad\.csv, line 5: the row has 3 fields but the header has 2; fix the row, or quote",
    )


def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path: Path) -> None:
    _bad_run(
        tmp_path,
        "latin.csv",
        b"a,b\n1,ok\n2,caf\xe9\n",
        r"latin\.csv, line 3: bytes that are not UTF-8 .*iconv",
    )


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    _bad_run(tmp_path, "empty.csv", b"", r"empty\.csv is empty: a CSV file needs a header row")


def test_header_with_repeated_name_is_an_error(tmp_path: Path) -> None:
    _bad_run(
        tmp_path, "dup.csv", b"a,b,a\n1,2,3\n", r"dup\.csv, line 1: column name 'a' appears twice"
    )


def test_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExampleGenError, match=r"input pattern '.*nothing-\*\.csv' matches no file"):
        csv_to_examples(str(tmp_path / "nothing-*.csv"), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_output_directory_with_files_is_refused(penguins: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old").write_text("x")
    with pytest.raises(ExampleGenError, match="already exists and is not empty"):
        csv_to_examples(str(penguins), str(tmp_path / "out"))


def test_unknown_partition_feature_is_an_error(penguins: Path, tmp_path: Path) -> None:
    with pytest.raises(ExampleGenError, match=r"partition feature 'island' is not a column"):
        csv_to_examples(
            str(penguins), str(tmp_path / "out"), splits=HashSplits(partition_feature="island")
        )


def test_files_with_different_headers_are_an_error(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", ["x", "y"], [[1, 2]])
    write_csv(tmp_path / "b.csv", ["x", "z"], [[1, 2]])
    with pytest.raises(ExampleGenError, match=r"b\.csv has header \['x', 'z'\] but .*a\.csv has"):
        csv_to_examples(str(tmp_path / "*.csv"), str(tmp_path / "out"))


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, headrace.components.example_gen\n"
        "heavy = ('pyarrow', 'apache_beam', 'tensorflow', 'numpy')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
