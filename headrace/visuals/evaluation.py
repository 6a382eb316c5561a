"""The view of a ModelEvaluation artifact (TFMA's output directory): scalar metrics per slice as
a table and bar charts, and the validation result — passed, or which thresholds failed where."""

from __future__ import annotations

import json
import os
from typing import Any

from headrace.types.artifact import Artifact
from headrace.visuals.files import local_path
from headrace.visuals.markup import esc, note, number, section, table
from headrace.visuals.svg import bars

# Charts for at most this many metrics; the table has them all.
_CHARTED = 4
_NOT_CHARTED = ("example_count", "weighted_example_count", "num_instances")


def load_metrics(artifact: Artifact) -> list[Any]:
    """TFMA's `MetricsForSlice` protos of the evaluation (TFMA is imported here, lazily: the
    Evaluator that wrote them has it loaded already)."""
    import tensorflow_model_analysis as tfma

    return list(tfma.load_metrics(local_path(artifact.uri)))


def load_validation(artifact: Artifact) -> Any:
    import tensorflow_model_analysis as tfma

    return tfma.load_validation_result(local_path(artifact.uri))


def evaluation_html(artifact: Artifact) -> str:
    parts = [_validation_html(artifact)]
    try:
        metrics = load_metrics(artifact)
    except Exception as exc:  # no TFMA output here: say so, keep the rest of the page
        parts.append(section("Metrics", note(f"Cannot read the metrics: {_why(exc)}", kind="warn")))
    else:
        if not metrics and not _has_file(artifact, "metrics"):
            body = note(f"No metrics file (metrics-*) in {artifact.uri}.", kind="warn")
        else:
            body = _metrics_html(metrics)
        parts.append(section("Metrics", body))
    config = _eval_config(artifact)
    if config:
        parts.append(section("Models", config))
    return "".join(parts)


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _has_file(artifact: Artifact, prefix: str) -> bool:
    directory = local_path(artifact.uri)
    return os.path.isdir(directory) and any(n.startswith(prefix) for n in os.listdir(directory))


def slice_name(slice_key: Any) -> str:
    """`Overall`, or `column=value, ...` for a slice key."""
    if not slice_key.single_slice_keys:
        return "Overall"
    parts = []
    for single in slice_key.single_slice_keys:
        kind = single.WhichOneof("kind")
        value = getattr(single, kind) if kind else ""
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        parts.append(f"{single.column}={value}")
    return ", ".join(parts)


def metric_name(key: Any, *, with_model: bool) -> str:
    """A metric key as a column name: [model/][output/]name[ (sub key)][ (weighted)][ (diff)]."""
    name = key.name
    if key.output_name:
        name = f"{key.output_name}/{name}"
    if with_model and key.model_name:
        name = f"{key.model_name}/{name}"
    if key.HasField("sub_key"):
        for field in ("class_id", "k", "top_k"):
            if key.sub_key.HasField(field):
                name += f" ({field} {getattr(key.sub_key, field).value})"
    if key.HasField("example_weighted") and key.example_weighted.value:
        name += " (weighted)"
    if key.is_diff:
        name += " (diff)"
    return name


def _scalars(
    metrics: list[Any],
) -> tuple[list[str], dict[str, dict[str, float]], dict[str, list[tuple[str, float]]]]:
    """Scalar metrics: column names in order of appearance, {slice: {column: value}}, and for
    the charts {metric: [(bar label, value)]} with a bar per slice (and per model if several)."""
    models = {kv.key.model_name for m in metrics for kv in m.metric_keys_and_values}
    several = len(models) > 1
    names: list[str] = []
    by_slice: dict[str, dict[str, float]] = {}
    charts: dict[str, list[tuple[str, float]]] = {}
    for m in sorted(
        metrics, key=lambda m: (bool(m.slice_key.single_slice_keys), slice_name(m.slice_key))
    ):
        where = slice_name(m.slice_key)
        values = by_slice.setdefault(where, {})
        for kv in m.metric_keys_and_values:
            if not kv.value.HasField("double_value"):
                continue  # confusion matrices, arrays: in TFMA's own views
            name = metric_name(kv.key, with_model=several)
            if name in values:
                continue  # TFMA repeats unweighted metrics with example_weighted=false
            value = values[name] = kv.value.double_value.value
            if name not in names:
                names.append(name)
            plain = metric_name(kv.key, with_model=False)
            if not kv.key.is_diff and kv.key.name not in _NOT_CHARTED:
                label = f"{where} ({kv.key.model_name})" if several else where
                charts.setdefault(plain, []).append((label, value))
    return names, by_slice, charts


def _metrics_html(metrics: list[Any]) -> str:
    names, by_slice, charts = _scalars(metrics)
    if not names:
        return note("No scalar metrics were computed.")
    rows = [
        [esc(s)] + [esc(number(v[n])) if n in v else "\u2013" for n in names]
        for s, v in by_slice.items()
    ]
    wide = table(["slice", *names], rows, numeric=range(1, len(names) + 1))
    parts = [f'<div class="scroll">{wide}</div>']
    for name, points in list(charts.items())[:_CHARTED]:
        parts.append(f"<h4>{esc(name)}</h4>" + bars(sorted(points, key=lambda p: p[0])))
    return "".join(parts)


def _validation_html(artifact: Artifact) -> str:
    try:
        result = load_validation(artifact)
    except Exception as exc:
        what = f"Cannot read the validation result: {_why(exc)}"
        return section("Validation", note(what, kind="warn"))
    if result.validation_ok:
        stamp = " (rubber stamp: no baseline to compare with)" if result.rubber_stamp else ""
        body = f'<p class="verdict good">Validation passed{esc(stamp)}</p>'
        return section("Validation", body)
    rows = []
    for per_slice in result.metric_validations_per_slice:
        where = (
            slice_name(per_slice.slice_key) if per_slice.HasField("slice_key") else "cross slice"
        )
        for failure in per_slice.failures:
            rows.append(
                [
                    esc(where),
                    esc(metric_name(failure.metric_key, with_model=False)),
                    esc(number(failure.metric_value.double_value.value)),
                    esc(_threshold(failure.metric_threshold)),
                    esc(" ".join(failure.message.split())),
                ]
            )
    body = '<p class="verdict bad">Validation failed</p>'
    headers = ["slice", "metric", "value", "threshold", "message"]
    if rows and not any(r[4] for r in rows):  # TFMA leaves messages empty for thresholds
        headers, rows = headers[:4], [r[:4] for r in rows]
    if rows:
        body += table(headers, rows, numeric=[2])
    missing = [_spec_name(s) for s in result.missing_slices]
    if missing:
        body += note(
            "Slices without examples (their thresholds were not checked): " + ", ".join(missing),
            kind="warn",
        )
    return section("Validation", body)


def _threshold(threshold: Any) -> str:
    parts = []
    if threshold.HasField("value_threshold"):
        v = threshold.value_threshold
        if v.HasField("lower_bound"):
            parts.append(f"≥ {number(v.lower_bound.value)}")
        if v.HasField("upper_bound"):
            parts.append(f"≤ {number(v.upper_bound.value)}")
    if threshold.HasField("change_threshold"):
        c = threshold.change_threshold
        enum = c.DESCRIPTOR.fields_by_name["direction"].enum_type
        direction = enum.values_by_number[c.direction].name.lower().replace("_", " ")
        if c.HasField("absolute"):
            parts.append(f"change {number(c.absolute.value)} ({direction})")
        if c.HasField("relative"):
            parts.append(f"relative change {number(c.relative.value)} ({direction})")
    return ", ".join(parts)


def _spec_name(spec: Any) -> str:
    parts = list(spec.feature_keys) + [f"{k}={v}" for k, v in sorted(spec.feature_values.items())]
    return "(" + ", ".join(parts) + ")" if parts else "(overall)"


def _eval_config(artifact: Artifact) -> str:
    """The evaluated models (name → path) from TFMA's eval_config.json, if it is there."""
    path = os.path.join(local_path(artifact.uri), "eval_config.json")
    try:
        with open(path) as f:
            locations = json.load(f).get("modelLocations") or {}
    except (OSError, ValueError):
        return ""
    rows = [
        (esc(name or "candidate"), f"<code>{esc(where)}</code>")
        for name, where in sorted(locations.items())
    ]
    return table(["model", "location"], rows) if rows else ""
