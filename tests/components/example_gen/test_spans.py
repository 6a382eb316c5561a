"""Resolving input patterns with {SPAN}, {VERSION} and date placeholders (TFX semantics)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from headrace.components.example_gen import ExampleGenError, SpanRange, date_to_span
from headrace.components.example_gen.spans import resolve, resolve_all


def touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")


def test_latest_span_then_latest_version(tmp_path: Path) -> None:
    touch(tmp_path, "s1/v0/a.csv", "s2/v0/a.csv", "s2/v3/a.csv", "s2/v3/b.csv", "s9/v1/a.csv")
    touch(tmp_path, "s10/v0/a.csv", "s10/v2/a.csv", "other/v9/a.csv")
    found = resolve(str(tmp_path / "s{SPAN}" / "v{VERSION}" / "*.csv"))
    assert (found.span, found.version) == (10, 2)  # numeric, not lexicographic, order
    assert found.files == (str(tmp_path / "s10/v2/a.csv"),)


def test_span_range_reads_every_span_in_it_with_its_latest_version(tmp_path: Path) -> None:
    touch(tmp_path, "s1/v0/a.csv", "s2/v0/a.csv", "s2/v3/a.csv", "s3/v1/a.csv", "s5/v0/a.csv")
    found = resolve(str(tmp_path / "s{SPAN}/v{VERSION}/a.csv"), SpanRange(start=2, end=4))
    assert found.spans == ((2, 3), (3, 1))
    assert (found.span, found.version) == (3, 1)
    assert found.files == (str(tmp_path / "s2/v3/a.csv"), str(tmp_path / "s3/v1/a.csv"))
    with pytest.raises(ExampleGenError, match=r"no span in 6\.\.8; spans present: 1, 2, 3, 5"):
        resolve(str(tmp_path / "s{SPAN}/v{VERSION}/a.csv"), SpanRange(start=6, end=8))


def test_dates_are_spans_counted_in_days_since_1970(tmp_path: Path) -> None:
    touch(tmp_path, "2024-02-28/a.csv", "2024-03-01/a.csv", "2023-12-31/a.csv")
    found = resolve(str(tmp_path / "{YYYY}-{MM}-{DD}/*.csv"))
    assert (
        found.span
        == date_to_span(2024, 3, 1)
        == (datetime.date(2024, 3, 1) - datetime.date(1970, 1, 1)).days
    )
    assert found.version is None
    in_range = resolve(
        str(tmp_path / "{YYYY}-{MM}-{DD}/*.csv"),
        SpanRange(start=date_to_span(2024, 1, 1), end=date_to_span(2024, 2, 29)),
    )
    assert in_range.files == (str(tmp_path / "2024-02-28/a.csv"),)


def test_fixed_width_span_matches_only_that_many_digits(tmp_path: Path) -> None:
    touch(tmp_path, "part-01.csv", "part-02.csv", "part-123.csv")
    found = resolve(str(tmp_path / "part-{SPAN:2}.csv"))
    assert found.span == 2


def test_plain_pattern_is_span_zero(tmp_path: Path) -> None:
    touch(tmp_path, "b.csv", "a.csv")
    found = resolve(str(tmp_path / "*.csv"))
    assert (found.span, found.version, found.files) == (
        0,
        None,
        (str(tmp_path / "a.csv"), str(tmp_path / "b.csv")),
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("v{VERSION}/*.csv", r"has \{VERSION\} without \{SPAN\} or a date"),
        ("{SPAN}/{SPAN}.csv", r"has \{SPAN\} more than once"),
        ("{SPAN}/{YYYY}-{MM}-{DD}.csv", r"has both \{SPAN\} and a date"),
        ("{YYYY}-{MM}.csv", r"has only some of \{YYYY\}, \{MM\}, \{DD\}"),
        ("nothing-{SPAN}.csv", r"matches no file"),
    ],
)
def test_bad_patterns(tmp_path: Path, pattern: str, message: str) -> None:
    with pytest.raises(ExampleGenError, match=message):
        resolve(str(tmp_path / pattern))


def test_range_without_placeholder_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path, "a.csv")
    with pytest.raises(
        ExampleGenError, match=r"a span range was given but pattern .* has no \{SPAN\}"
    ):
        resolve(str(tmp_path / "a.csv"), SpanRange(start=0, end=1))


def test_input_splits_must_agree_on_span(tmp_path: Path) -> None:
    touch(tmp_path, "train/1/a.csv", "train/2/a.csv", "eval/1/a.csv")
    with pytest.raises(ExampleGenError, match=r"input splits disagree on span/version"):
        resolve_all([str(tmp_path / "train/{SPAN}/*.csv"), str(tmp_path / "eval/{SPAN}/*.csv")])
