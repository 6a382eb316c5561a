"""The public entry points: one function per input format, all sharing one driver.

Each resolves the input patterns (spans, versions), plans work units, runs the Beam pipeline
into a staging directory and renames it to `output_dir` only when every row was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from headrace.components.example_gen.config import (
    Compression,
    CsvFormat,
    EngineOptions,
    HashSplits,
    InputSplit,
    ReadFn,
    SpanRange,
)
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.result import ExampleGenResult
from headrace.components.example_gen.spans import resolve_all

if TYPE_CHECKING:  # the sources import pyarrow, which this module must not load
    from headrace.components.example_gen.sources import Source

# A glob pattern (rows are hashed into output splits), or pre-split input: one pattern per
# split, as InputSplit or (name, pattern) pairs.
Inputs = str | Sequence[InputSplit | tuple[str, str]]


def csv_to_examples(
    inputs: Inputs,
    output_dir: str,
    *,
    splits: HashSplits | None = None,
    span_range: SpanRange | None = None,
    csv_format: CsvFormat | None = None,
    options: EngineOptions | None = None,
) -> ExampleGenResult:
    """CsvExampleGen: CSV files with a header row -> gzipped TFRecords of tf.Example."""
    from headrace.components.example_gen.sources import CsvSource

    source = CsvSource(fmt=csv_format or CsvFormat(), options=options or EngineOptions())
    return _generate(source, inputs, output_dir, splits, span_range)


def import_examples(
    inputs: Inputs,
    output_dir: str,
    *,
    splits: HashSplits | None = None,
    span_range: SpanRange | None = None,
    compression: Compression = Compression.AUTO,
    options: EngineOptions | None = None,
) -> ExampleGenResult:
    """ImportExampleGen: TFRecords of serialized tf.Example, re-split and re-written."""
    from headrace.components.example_gen.sources import TFRecordSource

    source = TFRecordSource(compression=compression, options=options or EngineOptions())
    return _generate(source, inputs, output_dir, splits, span_range)


def parquet_to_examples(
    inputs: Inputs,
    output_dir: str,
    *,
    splits: HashSplits | None = None,
    span_range: SpanRange | None = None,
    options: EngineOptions | None = None,
) -> ExampleGenResult:
    """Parquet files -> gzipped TFRecords of tf.Example (list columns become lists)."""
    from headrace.components.example_gen.sources import ParquetSource

    source = ParquetSource(options=options or EngineOptions())
    return _generate(source, inputs, output_dir, splits, span_range)


def custom_to_examples(
    inputs: Inputs,
    output_dir: str,
    *,
    read_fn: ReadFn,
    splits: HashSplits | None = None,
    span_range: SpanRange | None = None,
    options: EngineOptions | None = None,
) -> ExampleGenResult:
    """A custom ExampleGen: `read_fn(path)` yields RecordBatches or dicts for each file."""
    from headrace.components.example_gen.sources import CustomSource

    source = CustomSource(read_fn=read_fn, options=options or EngineOptions())
    return _generate(source, inputs, output_dir, splits, span_range)


def _input_splits(inputs: Inputs) -> list[InputSplit] | None:
    if isinstance(inputs, str):
        return None
    pre_split = [
        s if isinstance(s, InputSplit) else InputSplit(name=s[0], pattern=s[1]) for s in inputs
    ]
    if not pre_split:
        raise ExampleGenError("no input: give a glob pattern or a list of (split, pattern)")
    names = [s.name for s in pre_split]
    if len(set(names)) != len(names):
        raise ExampleGenError(f"input split names repeat: {names}")
    return pre_split


def _generate(
    source: Source,
    inputs: Inputs,
    output_dir: str,
    splits: HashSplits | None,
    span_range: SpanRange | None,
) -> ExampleGenResult:
    from headrace.components.example_gen import pipeline
    from headrace.components.example_gen.convert import Converter
    from headrace.components.example_gen.output import StagedOutput
    from headrace.components.example_gen.splitting import SplitAssigner

    pre_split = _input_splits(inputs)
    if pre_split is not None:
        if splits is not None:
            raise ExampleGenError(
                "input is pre-split (a list of (split, pattern)), so output hash splits"
                " cannot be given too; drop `splits` or give one pattern"
            )
        resolved = resolve_all([s.pattern for s in pre_split], span_range)
        pairs: list[tuple[str | None, str]] = [
            (s.name, path) for s, r in zip(pre_split, resolved, strict=True) for path in r.files
        ]
        split_names = tuple(s.name for s in pre_split)
        assigner, partition = None, None
    else:
        assert isinstance(inputs, str)
        splits = splits or HashSplits()
        resolved = resolve_all([inputs], span_range)
        pairs = [(None, path) for path in resolved[0].files]
        split_names = splits.names
        assigner = SplitAssigner(names=splits.names, buckets=tuple(b for _, b in splits.pairs))
        partition = splits.partition_feature

    units = source.plan(pairs)
    columns = units[0].columns if units else ()
    if partition and columns and partition not in columns:
        raise ExampleGenError(
            f"partition feature {partition!r} is not a column of {units[0].path}; columns:"
            f" {list(columns)}"
        )
    staged = StagedOutput.create(output_dir)
    converter = Converter(
        source=source,
        staging_dir=staged.staging_dir,
        split_names=split_names,
        assigner=assigner,
        partition_feature=partition,
    )
    try:
        summary = pipeline.run(converter=converter, units=units)
        if summary.error:
            raise ExampleGenError(summary.error)
        staged.commit()
    except BaseException:
        staged.discard()
        raise
    return ExampleGenResult(
        output_dir=staged.output_dir,
        split_names=split_names,
        rows_per_split=summary.rows_per_split,
        span=resolved[0].span,
        version=resolved[0].version,
        column_types={k: v.reported() for k, v in summary.column_types.items()},
        input_files=tuple(path for _, path in pairs),
    )
