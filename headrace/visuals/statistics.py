"""The view of an ExampleStatistics artifact: per split, a table of numeric features (count,
missing, mean, std, min, median, max, zeros, histogram) and of string features (count, missing,
unique, top values), read straight from `Split-<name>/FeatureStats.pb` (no TFDV import)."""

from __future__ import annotations

import os
from typing import Any

from headrace.types.artifact import Artifact
from headrace.visuals.files import split_dir, split_sections
from headrace.visuals.markup import esc, note, number, percent, table
from headrace.visuals.svg import histogram

STATS_FILE = "FeatureStats.pb"
_TOP_VALUES = 5


def read_split_statistics(artifact: Artifact, split: str) -> Any:
    """The `DatasetFeatureStatisticsList` of one split (tensorflow_metadata's proto)."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    with open(os.path.join(split_dir(artifact, split), STATS_FILE), "rb") as f:
        return statistics_pb2.DatasetFeatureStatisticsList.FromString(f.read())


def statistics_html(artifact: Artifact) -> str:
    def render(split: str) -> str:
        stats = read_split_statistics(artifact, split)
        return "".join(_dataset_html(d) for d in stats.datasets)

    return split_sections(artifact, "statistics", render)


def _dataset_html(dataset: Any) -> str:
    numeric, strings, other = [], [], []
    for feature in dataset.features:
        kind = feature.WhichOneof("stats")
        if kind == "num_stats":
            numeric.append(_numeric_row(feature))
        elif kind == "string_stats":
            strings.append(_string_row(feature))
        else:
            other.append(_other_row(feature, kind))
    parts = [f'<p class="muted">{esc(number(dataset.num_examples))} examples.</p>']
    if numeric:
        parts.append(
            "<h4>Numeric features</h4>"
            + table(
                [
                    "feature",
                    "count",
                    "missing",
                    "mean",
                    "std",
                    "min",
                    "median",
                    "max",
                    "zeros",
                    "histogram",
                ],
                numeric,
                numeric=range(1, 9),
            )
        )
    if strings:
        parts.append(
            "<h4>Categorical features</h4>"
            + table(
                ["feature", "count", "missing", "unique", "top values"],
                strings,
                numeric=range(1, 4),
            )
        )
    if other:
        parts.append(
            "<h4>Other features</h4>"
            + table(["feature", "type", "count", "missing"], other, numeric=[2, 3])
        )
    if not dataset.features:
        parts.append(note("No features."))
    return "".join(parts)


def feature_name(feature: Any) -> str:
    if feature.HasField("path"):
        return ".".join(feature.path.step)
    return feature.name


def _counts(common: Any) -> tuple[str, str]:
    present, missing = common.num_non_missing, common.num_missing
    return esc(number(present)), esc(percent(missing, present + missing))


def _numeric_row(feature: Any) -> list[str]:
    s = feature.num_stats
    count, missing = _counts(s.common_stats)
    standard = [h for h in s.histograms if h.type == h.STANDARD]
    buckets = (
        [(b.low_value, b.high_value, b.sample_count) for b in standard[0].buckets]
        if standard
        else []
    )
    return [
        esc(feature_name(feature)),
        count,
        missing,
        esc(number(s.mean)),
        esc(number(s.std_dev)),
        esc(number(s.min)),
        esc(number(s.median)),
        esc(number(s.max)),
        esc(number(s.num_zeros)),
        histogram(buckets),
    ]


def _string_row(feature: Any) -> list[str]:
    s = feature.string_stats
    count, missing = _counts(s.common_stats)
    total = sum(v.frequency for v in s.top_values) or 1
    top = max((v.frequency for v in s.top_values), default=1) or 1
    values = "".join(
        f'<div><span class="topbar" style="width:{60 * v.frequency / top:.0f}px"></span>'
        f'{esc(v.value)} <span class="muted">{esc(number(v.frequency))}</span></div>'
        for v in list(s.top_values)[:_TOP_VALUES]
    )
    more = len(s.top_values) - _TOP_VALUES
    if more > 0:
        values += f'<div class="muted">… {more} more ({esc(number(total))} counted)</div>'
    return [esc(feature_name(feature)), count, missing, esc(number(s.unique)), values]


def _other_row(feature: Any, kind: str | None) -> list[str]:
    stats = getattr(feature, kind) if kind else None
    common = getattr(stats, "common_stats", None)
    count, missing = _counts(common) if common is not None else ("\u2013", "\u2013")
    type_name = (
        feature.DESCRIPTOR.fields_by_name["type"].enum_type.values_by_number[feature.type].name
    )
    return [esc(feature_name(feature)), esc(type_name), count, missing]
