"""The Beam pipeline of a conversion: attempt units, settle files, plan, redo, summarise.

Errors in the data travel through the pipeline as values and end in a summary file, so the
caller raises the same clear ExampleGenError whatever the runner (in-process, multi-process,
Flink) does with exceptions. Beam is imported here only, when a conversion runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.convert import ATTEMPTS_DIR, Converter
from headrace.components.example_gen.output import SUMMARY_FILE, shard_path, split_dir
from headrace.components.example_gen.plan import Plan, make_plan
from headrace.components.example_gen.units import Attempt, WorkUnit


@dataclass(frozen=True, kw_only=True)
class Summary:
    rows_per_split: dict[str, int]
    column_types: dict[str, ColumnType]
    renames: list[tuple[str, str]]  # attempt file -> final shard path
    error: str | None


def _settle(keyed: tuple[int, list[Attempt]], converter: Converter) -> list[Attempt]:
    """The attempts of one file, replaced by one whole-file attempt when a cut may be wrong."""
    attempts = sorted(keyed[1], key=lambda a: a.unit.start)
    if len(attempts) == 1 or not converter.source.cuts_bytes:
        return attempts
    if not any(a.cut_suspect or a.error for a in attempts):
        return attempts
    for attempt in attempts:
        attempt.discard()
    return [converter.attempt(dataclasses.replace(attempts[0].unit, start=0, end=None))]


def _redo(index: int, plan: Plan, converter: Converter) -> tuple[int, Attempt]:
    return index, converter.attempt(plan.units[index], plan.types)


def _finish(
    first: list[Attempt],
    redone: list[tuple[int, Attempt]],
    plan: Plan,
    split_names: Sequence[str],
    staging_dir: str,
) -> None:
    attempts = sorted(first, key=lambda a: (a.unit.file_index, a.unit.start))
    for index, attempt in redone:
        attempts[index].discard()
        attempts[index] = attempt
    error = plan.error or next((a.error for a in attempts if a.error), None)
    rows = dict.fromkeys(split_names, 0)
    renames = []
    if error is None:
        for attempt, shards in zip(attempts, plan.shards, strict=True):
            for split, (index, count) in shards.items():
                renames.append((attempt.files[split], shard_path(staging_dir, split, index, count)))
                rows[split] += attempt.rows_per_split[split]
        rows_in = sum(a.rows_in for a in attempts)
        if rows_in != sum(rows.values()):
            error = f"internal error: {rows_in} rows were read but {sum(rows.values())} written"
    with open(os.path.join(staging_dir, SUMMARY_FILE), "w") as f:
        json.dump(
            {
                "rows_per_split": rows,
                "column_types": {k: v.value for k, v in plan.types.items()},
                "renames": renames,
                "error": error,
            },
            f,
        )


def _read_summary(staging_dir: str) -> Summary:
    with open(os.path.join(staging_dir, SUMMARY_FILE)) as f:
        raw = json.load(f)
    return Summary(
        rows_per_split=raw["rows_per_split"],
        column_types={k: ColumnType(v) for k, v in raw["column_types"].items()},
        renames=[tuple(pair) for pair in raw["renames"]],
        error=raw["error"],
    )


def _apply_renames(summary: Summary, staging_dir: str, split_names: Sequence[str]) -> None:
    for split in split_names:
        os.makedirs(split_dir(staging_dir, split), exist_ok=True)
    for source, target in summary.renames:
        os.rename(source, target)
    shutil.rmtree(os.path.join(staging_dir, ATTEMPTS_DIR), ignore_errors=True)


def run(*, converter: Converter, units: list[WorkUnit]) -> Summary:
    """Convert `units` into the converter's staging directory and return the summary."""
    import apache_beam as beam

    from headrace.components.beam import beam_pipeline

    staging = converter.staging_dir
    hash_splits = converter.split_names if converter.assigner is not None else None
    with beam_pipeline(converter.source.options.beam_args) as p:
        attempts = (
            p
            | "Units" >> beam.Create(units)  # Create reshuffles: units spread over workers
            | "Convert" >> beam.Map(converter.attempt)
            | "ByFile" >> beam.Map(lambda a: (a.unit.file_index, a))
            | "GroupFiles" >> beam.GroupByKey()
            | "Settle" >> beam.FlatMap(_settle, converter=converter)
        )
        plan = (
            attempts
            | "AllAttempts" >> beam.combiners.ToList()
            | "Plan" >> beam.Map(make_plan, hash_splits, converter.source.guesses_types)
        )
        redone = (
            plan
            | "Redo" >> beam.FlatMap(lambda plan: [] if plan.error else list(plan.redo))
            | "SpreadRedo" >> beam.Reshuffle()
            | "Reconvert"
            >> beam.Map(_redo, plan=beam.pvalue.AsSingleton(plan), converter=converter)
        )
        _ = (
            attempts
            | "Attempts" >> beam.combiners.ToList()
            | "Finish"
            >> beam.Map(
                _finish,
                redone=beam.pvalue.AsList(redone),
                plan=beam.pvalue.AsSingleton(plan),
                split_names=converter.split_names,
                staging_dir=staging,
            )
        )
    summary = _read_summary(staging)
    if summary.error is None:
        _apply_renames(summary, staging, converter.split_names)
    return summary
