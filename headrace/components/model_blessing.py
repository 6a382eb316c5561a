"""The Evaluator's verdict: whether a model is blessed and a reason a person can read, from TFMA's
ValidationResult; and the ModelBlessing artifact that records it (TFX's files and properties)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from headrace.types import Model, ModelBlessing

BLESSED_FILE, NOT_BLESSED_FILE = "BLESSED", "NOT_BLESSED"
# A reason lists this many failures, then says how many more there are.
_MAX_LISTED = 8


@dataclass(frozen=True, kw_only=True)
class Verdict:
    blessed: bool
    reason: str


def verdict(
    validation: Any, *, thresholds_set: bool, change_thresholds_set: bool, has_baseline: bool
) -> Verdict:
    """Blessed or not, and why, from a `tfma.ValidationResult`.

    No thresholds at all: not blessed (as TFX: a forgotten threshold must not ship a model).
    No baseline yet: change thresholds cannot be checked; value thresholds still decide, and with
    none left the first model is blessed (TFMA's "rubber stamp").
    """
    if not thresholds_set:
        return Verdict(
            blessed=False,
            reason="no thresholds set: the Evaluator blesses only models that pass thresholds; "
            "add value_threshold or change_threshold to the eval_config's metrics_specs",
        )
    first = ""
    if not has_baseline:
        skipped = "change thresholds skipped, " if change_thresholds_set else ""
        first = f"no baseline yet (first run): {skipped}"
    problems = [*_failures(validation), *_missing_slices(validation)]
    if validation.validation_ok and not problems:
        if not has_baseline and change_thresholds_set and not _value_thresholds_checked(validation):
            return Verdict(blessed=True, reason=f"{first}blessed as the first model")
        checked = "value thresholds passed" if not has_baseline else "all thresholds passed"
        return Verdict(blessed=True, reason=f"{first}{checked}")
    if not problems:  # TFMA said no without a failure to show (e.g. no examples at all)
        problems = ["TFMA's validation failed without naming a threshold (were there examples?)"]
    listed = problems[:_MAX_LISTED]
    more = len(problems) - len(listed)
    tail = f"; and {more} more" if more else ""
    return Verdict(blessed=False, reason=f"{first}failed: " + "; ".join(listed) + tail)


def _value_thresholds_checked(validation: Any) -> bool:
    # Slicing details are recorded for every threshold TFMA checked.
    return any(d.num_matching_slices for d in validation.validation_details.slicing_details)


def _failures(validation: Any) -> list[str]:
    found = []
    for per_slice in validation.metric_validations_per_slice:
        where = _slice_name(per_slice)
        for failure in per_slice.failures:
            found.append(
                (where, f"{_metric_name(failure.metric_key)} on {where}: {_broken(failure)}")
            )
    # TFMA's order depends on Beam's; the overall slice first, then the slices by name.
    found.sort(key=lambda f: (f[0] != "the overall slice", f[0]))
    return [text for _, text in found]


def _missing_slices(validation: Any) -> list[str]:
    return [
        f"slice {_spec_name(spec)} has no examples, so its thresholds cannot be checked"
        for spec in validation.missing_slices
    ]


def _broken(failure: Any) -> str:
    value = failure.metric_value.double_value.value
    threshold = failure.metric_threshold
    if failure.message.strip():
        return " ".join(failure.message.split())
    if threshold.HasField("value_threshold"):
        bounds = threshold.value_threshold
        if bounds.HasField("lower_bound") and value < bounds.lower_bound.value:
            return f"{_num(value)} is below the lower bound {_num(bounds.lower_bound.value)}"
        if bounds.HasField("upper_bound") and value > bounds.upper_bound.value:
            return f"{_num(value)} is above the upper bound {_num(bounds.upper_bound.value)}"
        return f"{_num(value)} is outside the value threshold"
    change = threshold.change_threshold
    # For change thresholds TFMA reports the difference candidate - baseline.
    direction_enum = change.DESCRIPTOR.fields_by_name["direction"].enum_type
    higher = direction_enum.values_by_number[change.direction].name == "HIGHER_IS_BETTER"
    sign = ">=" if higher else "<="
    needs = []
    if change.HasField("absolute"):
        needs.append(f"{sign} {_num(change.absolute.value)}")
    if change.HasField("relative"):
        needs.append(f"a relative change {sign} {_num(change.relative.value)}")
    direction = "higher" if higher else "lower"
    return (
        f"changed by {_num(value, signed=True)} against the baseline (change threshold: "
        f"{direction} is better, needs {' and '.join(needs) or 'an improvement'})"
    )


def _metric_name(key: Any) -> str:
    name = key.name
    if key.output_name:
        name = f"{key.output_name}/{name}"
    if key.HasField("sub_key"):
        sub = key.sub_key
        for field in ("class_id", "k", "top_k"):
            if sub.HasField(field):
                name += f" ({field} {getattr(sub, field).value})"
    return name  # the model name is TFMA's "candidate": the blessing is about that model


def _slice_name(per_slice: Any) -> str:
    if per_slice.HasField("cross_slice_key"):
        cross = per_slice.cross_slice_key
        return (
            f"cross slice {_slice_key(cross.baseline_slice_key)} vs "
            f"{_slice_key(cross.comparison_slice_key)}"
        )
    return _slice_key(per_slice.slice_key)


def _slice_key(key: Any) -> str:
    if not key.single_slice_keys:
        return "the overall slice"
    parts = []
    for single in key.single_slice_keys:
        kind = single.WhichOneof("kind")
        value = getattr(single, kind) if kind else None
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        parts.append(f"{single.column}={value}")
    return "slice " + ", ".join(parts)


def _spec_name(spec: Any) -> str:
    parts = list(spec.feature_keys) + [f"{k}={v}" for k, v in sorted(spec.feature_values.items())]
    if spec.slice_keys_sql:
        parts.append(spec.slice_keys_sql)
    return "(" + ", ".join(parts) + ")" if parts else "(overall)"


def _num(value: float, signed: bool = False) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def write_blessing(
    blessing: ModelBlessing, result: Verdict, *, model: Model, baseline: Model | None
) -> None:
    """The TFX ModelBlessing: an empty BLESSED or NOT_BLESSED file, and properties that a
    LatestBlessedModelStrategy resolver reads (`blessed`, `current_model_id`)."""
    name = BLESSED_FILE if result.blessed else NOT_BLESSED_FILE
    with open(os.path.join(blessing.uri, name), "w"):
        pass
    blessing.properties.update(
        {
            "blessed": result.blessed,
            "reason": result.reason,
            "current_model": model.uri,
        }
    )
    if model.id is not None:
        blessing.properties["current_model_id"] = model.id
    if baseline is not None:
        blessing.properties["baseline_model"] = baseline.uri
        if baseline.id is not None:
            blessing.properties["baseline_model_id"] = baseline.id
