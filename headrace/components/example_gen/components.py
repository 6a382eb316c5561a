"""CsvExampleGen, ImportExampleGen, ParquetExampleGen and FileBasedExampleGen: the engine as nodes.

The constructors take TFX's arguments: `input_base` (a directory), `input_config` (input splits:
patterns relative to `input_base`), `output_config` (hash-bucket output splits) and
`range_config` (which spans to read). Each config may be the TFX proto, its dict or JSON form
(`{"splits": [{"name": "train", "pattern": "train/*"}]}`), or a plain Python value:

    CsvExampleGen(input_base="data/")                                   # every file, train:eval 2:1
    CsvExampleGen(input_base="data/", input_config="span-{SPAN}/*.csv") # latest span
    CsvExampleGen(input_base="data/", input_config={"train": "train/*", "eval": "eval/*"})
    CsvExampleGen(input_base="data/", output_config={"train": 8, "eval": 1, "test": 1},
                  partition_feature_name="user_id")
    CsvExampleGen(input_base="data/", input_config="span-{SPAN}/*", range_config=(3, 5))

Configs are checked and normalised when the node is made, so a mistake fails the pipeline
definition, not a run. The node's output `examples` records `span`, `version` and
`split_names`, plus the custom properties `rows_per_split` and `column_types`.
"""

# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from headrace.components.example_gen.config import (
    Compression,
    CsvFormat,
    EngineOptions,
    HashSplits,
    InputSplit,
    SpanRange,
)
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.result import ExampleGenResult
from headrace.components.proto_parameters import to_parameter
from headrace.dsl import ExecutionContext, Output, Parameter, component
from headrace.errors import DefinitionError
from headrace.types import Examples

_SINGLE = "*"  # TFX's default input: one split, every file under input_base


def CsvExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
    *,
    partition_feature_name: str | None = None,
    delimiter: str = ",",
    quote_char: str = '"',
    engine_options: Mapping[str, Any] | None = None,
) -> Any:
    """CSV files with a header row under `input_base` -> an `Examples` artifact of gzipped
    TFRecords of tf.Example, `Split-<name>/` per split. Column types are inferred (int, float,
    string); empty cells are missing values; quoted and multi-line fields are read as CSV."""
    CsvFormat(delimiter=delimiter, quote_char=quote_char)  # checked now
    return _node(
        _csv_example_gen, "CsvExampleGen", input_base, input_config, output_config,
        range_config, partition_feature_name, engine_options,
        extra={"delimiter": delimiter, "quote_char": quote_char},
    )


def ImportExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
    *,
    partition_feature_name: str | None = None,
    compression: str = "auto",
    engine_options: Mapping[str, Any] | None = None,
) -> Any:
    """TFRecord files of serialized tf.Example (gzipped or not; `compression` is "auto", "gzip"
    or "none") -> an `Examples` artifact, re-split and re-written in TFX's layout."""
    try:
        Compression(compression)
    except ValueError:
        raise DefinitionError(
            f"ImportExampleGen: compression={compression!r}; use 'auto', 'gzip' or 'none'."
        ) from None
    return _node(
        _import_example_gen, "ImportExampleGen", input_base, input_config, output_config,
        range_config, partition_feature_name, engine_options, extra={"compression": compression},
    )


def ParquetExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
    *,
    partition_feature_name: str | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> Any:
    """Parquet files -> an `Examples` artifact (list columns become multi-valued features)."""
    return _node(
        _parquet_example_gen, "ParquetExampleGen", input_base, input_config, output_config,
        range_config, partition_feature_name, engine_options, extra={},
    )


def FileBasedExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
    *,
    module_file: str | None = None,
    read_fn: str | None = None,
    partition_feature_name: str | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> Any:
    """A custom ExampleGen from one function: `read_fn(path)` is called for every input file and
    yields dicts of feature name -> value (or list of values), or pyarrow RecordBatches.

    Give `module_file` (a Python file defining `read_fn`) or `read_fn` as a dotted path
    ('my_pkg.images.read_fn'). Splitting, spans, sharding and row accounting are ExampleGen's.
    """
    from headrace.components.module_file import load_user_function

    load_user_function(  # fail at definition time if the function cannot be found
        component="FileBasedExampleGen", function="read_fn", module_file=module_file,
        function_path=read_fn,
    )
    return _node(
        _file_based_example_gen, "FileBasedExampleGen", input_base, input_config, output_config,
        range_config, partition_feature_name, engine_options,
        extra={"module_file": os.path.abspath(module_file) if module_file else None,
               "read_fn": read_fn},
    )


# -- the components ---------------------------------------------------------------------------


@component(name="CsvExampleGen", file_parameters=("input_base",), beam=True)
def _csv_example_gen(
    examples: Output[Examples],
    input_base: Parameter[str],
    input_splits: Parameter[list] | None = None,
    input_pattern: Parameter[str] = _SINGLE,
    hash_buckets: Parameter[list] | None = None,
    partition_feature_name: Parameter[str] | None = None,
    span_range: Parameter[list] | None = None,
    engine_options: Parameter[dict] | None = None,
    delimiter: Parameter[str] = ",",
    quote_char: Parameter[str] = '"',
    context: ExecutionContext = None,
) -> None:
    """CsvExampleGen: CSV files -> split gzipped TFRecords of tf.Example."""
    from headrace.components.example_gen.api import csv_to_examples

    fmt = CsvFormat(delimiter=delimiter, quote_char=quote_char)
    _run(csv_to_examples, examples, locals(), context, csv_format=fmt)


@component(name="ImportExampleGen", file_parameters=("input_base",), beam=True)
def _import_example_gen(
    examples: Output[Examples],
    input_base: Parameter[str],
    input_splits: Parameter[list] | None = None,
    input_pattern: Parameter[str] = _SINGLE,
    hash_buckets: Parameter[list] | None = None,
    partition_feature_name: Parameter[str] | None = None,
    span_range: Parameter[list] | None = None,
    engine_options: Parameter[dict] | None = None,
    compression: Parameter[str] = "auto",
    context: ExecutionContext = None,
) -> None:
    """ImportExampleGen: TFRecords of tf.Example -> split gzipped TFRecords."""
    from headrace.components.example_gen.api import import_examples

    _run(import_examples, examples, locals(), context, compression=Compression(compression))


@component(name="ParquetExampleGen", file_parameters=("input_base",), beam=True)
def _parquet_example_gen(
    examples: Output[Examples],
    input_base: Parameter[str],
    input_splits: Parameter[list] | None = None,
    input_pattern: Parameter[str] = _SINGLE,
    hash_buckets: Parameter[list] | None = None,
    partition_feature_name: Parameter[str] | None = None,
    span_range: Parameter[list] | None = None,
    engine_options: Parameter[dict] | None = None,
    context: ExecutionContext = None,
) -> None:
    """ParquetExampleGen: Parquet files -> split gzipped TFRecords of tf.Example."""
    from headrace.components.example_gen.api import parquet_to_examples

    _run(parquet_to_examples, examples, locals(), context)


@component(name="FileBasedExampleGen", file_parameters=("input_base", "module_file"), beam=True)
def _file_based_example_gen(
    examples: Output[Examples],
    input_base: Parameter[str],
    input_splits: Parameter[list] | None = None,
    input_pattern: Parameter[str] = _SINGLE,
    hash_buckets: Parameter[list] | None = None,
    partition_feature_name: Parameter[str] | None = None,
    span_range: Parameter[list] | None = None,
    engine_options: Parameter[dict] | None = None,
    module_file: Parameter[str] | None = None,
    read_fn: Parameter[str] | None = None,
    context: ExecutionContext = None,
) -> None:
    """FileBasedExampleGen: a user's `read_fn(path)` -> split gzipped TFRecords of tf.Example."""
    from headrace.components.example_gen.api import custom_to_examples
    from headrace.components.module_file import load_user_function

    fn = load_user_function(
        component="FileBasedExampleGen", function="read_fn", module_file=module_file,
        function_path=read_fn,
    )
    _run(custom_to_examples, examples, locals(), context, read_fn=fn)


def _run(convert: Any, examples: Any, p: dict[str, Any], context: Any, **kwargs: Any) -> None:
    """Convert into the (new, empty) output directory and record what was written."""
    base = p["input_base"]
    if p["input_splits"]:
        inputs: Any = [InputSplit(name=n, pattern=_join(base, pat)) for n, pat in p["input_splits"]]
        splits = None
    else:
        inputs = _join(base, p["input_pattern"])
        buckets = p["hash_buckets"] or [["train", 2], ["eval", 1]]
        splits = HashSplits(
            buckets=tuple((n, b) for n, b in buckets),
            partition_feature=p["partition_feature_name"],
        )
    span_range = SpanRange(start=p["span_range"][0], end=p["span_range"][1]) \
        if p["span_range"] else None
    options = EngineOptions(**(p["engine_options"] or {}), beam_args=tuple(context.beam_args))
    result: ExampleGenResult = convert(
        inputs, examples.uri, splits=splits, span_range=span_range, options=options, **kwargs
    )
    _record(examples, result)


def _record(examples: Any, result: ExampleGenResult) -> None:
    examples.properties["split_names"] = json.dumps(list(result.split_names))
    examples.properties["span"] = result.span
    if result.version is not None:
        examples.properties["version"] = result.version
    examples.properties["rows_per_split"] = json.dumps(result.rows_per_split)
    if result.column_types:
        examples.properties["column_types"] = json.dumps(
            {k: v.value for k, v in result.column_types.items()}
        )
    rows = ", ".join(f"{s}: {n:,}" for s, n in result.rows_per_split.items())
    print(
        f"ExampleGen: {result.total_rows:,} rows from {len(result.input_files)} file(s), "
        f"span {result.span} -> {rows} ({examples.uri})",
        flush=True,
    )


def _join(base: str, pattern: str) -> str:
    # Patterns are relative to input_base, as in TFX; an absolute pattern stands alone.
    if "://" in pattern or os.path.isabs(pattern):
        return pattern
    return base.rstrip("/") + "/" + pattern


# -- definition-time normalisation of TFX's configs ---------------------------------------------


def _node(
    comp: Any,
    name: str,
    input_base: str | None,
    input_config: Any,
    output_config: Any,
    range_config: Any,
    partition_feature_name: str | None,
    engine_options: Mapping[str, Any] | None,
    *,
    extra: dict[str, Any],
) -> Any:
    if not input_base or not isinstance(input_base, str):
        raise DefinitionError(
            f"{name}: input_base must be the directory (or object-store prefix) that holds the "
            f"input files; got {input_base!r}."
        )
    try:
        input_splits, input_pattern = _input_config(input_config, name)
        hash_buckets, partition = _output_config(output_config, name)
        if partition_feature_name:
            partition = partition_feature_name
        if input_splits is not None and (hash_buckets is not None or partition):
            raise DefinitionError(
                f"{name}: input_config names {len(input_splits)} splits (pre-split input), so "
                f"the output splits are those; drop output_config / partition_feature_name, or "
                f"give one input pattern to be hash-split."
            )
        if hash_buckets is not None:
            HashSplits(buckets=tuple(map(tuple, hash_buckets)), partition_feature=partition)
        if input_splits is not None:
            for n, pat in input_splits:
                InputSplit(name=n, pattern=pat)
        span_range = _range_config(range_config, name)
        if engine_options:
            EngineOptions(**engine_options)
    except ExampleGenError as exc:
        raise DefinitionError(f"{name}: {exc}") from None
    except TypeError as exc:  # an unknown EngineOptions field
        raise DefinitionError(f"{name}: engine_options: {exc}") from None
    params = {
        "input_base": input_base,
        "input_splits": input_splits,
        "input_pattern": input_pattern,
        "hash_buckets": hash_buckets,
        "partition_feature_name": partition or None,
        "span_range": span_range,
        "engine_options": dict(engine_options) if engine_options else None,
        **extra,
    }
    return comp(**{k: v for k, v in params.items() if v is not None})


def _as_dict(value: Any, name: str, argument: str, message: str) -> Any:
    if hasattr(value, "DESCRIPTOR") or (isinstance(value, str) and value.lstrip()[:1] == "{"):
        return to_parameter(value, component=name, argument=argument, message=message)
    return value


def _input_config(value: Any, name: str) -> tuple[list[list[str]] | None, str]:
    """(pre-split [[name, pattern], ...] or None, the pattern to hash-split)."""
    value = _as_dict(value, name, "input_config", "example_gen_pb2.Input")
    if value is None:
        return None, _SINGLE
    if isinstance(value, str):
        return None, value
    if isinstance(value, Mapping) and "splits" in value:
        pairs = []
        for s in value["splits"]:
            if not isinstance(s, Mapping) or not s.get("pattern"):
                raise DefinitionError(
                    f"{name}: input_config split {s!r} needs a 'pattern' (and a 'name')."
                )
            pairs.append([str(s.get("name", "")), str(s["pattern"])])
    elif isinstance(value, Mapping):
        pairs = [[str(k), str(v)] for k, v in value.items()]
    else:
        raise DefinitionError(
            f"{name}: input_config must be a pattern string, a dict of split name -> pattern, "
            f"or TFX's Input proto/dict; got {type(value).__name__}."
        )
    if not pairs:
        raise DefinitionError(f"{name}: input_config has no splits.")
    if len(pairs) == 1:  # TFX: one input split is hash-split into the output splits
        return None, pairs[0][1]
    return pairs, _SINGLE


def _output_config(value: Any, name: str) -> tuple[list[list[Any]] | None, str | None]:
    """([[split, hash_buckets], ...] or None for the default 2:1, partition feature or None)."""
    value = _as_dict(value, name, "output_config", "example_gen_pb2.Output")
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise DefinitionError(
            f"{name}: output_config must be a dict of split name -> hash buckets (e.g. "
            f"{{'train': 2, 'eval': 1}}) or TFX's Output proto/dict; got {type(value).__name__}."
        )
    if "split_config" in value:
        config = value["split_config"] or {}
        splits = [[str(s.get("name", "")), s.get("hash_buckets")] for s in config.get("splits", [])]
        partition = config.get("partition_feature_name") or None
    else:
        splits, partition = [[str(k), v] for k, v in value.items()], None
    for split, buckets in splits:
        if not isinstance(buckets, int) or isinstance(buckets, bool) or buckets <= 0:
            raise DefinitionError(
                f"{name}: output split {split!r} has hash_buckets {buckets!r}; use a positive "
                f"integer (its share of the rows)."
            )
    return (splits or None), partition


def _range_config(value: Any, name: str) -> list[int] | None:
    value = _as_dict(value, name, "range_config", "range_config_pb2.RangeConfig")
    if value is None:
        return None
    if isinstance(value, Mapping):
        if "rolling_range" in value:
            raise DefinitionError(
                f"{name}: range_config.rolling_range is not supported; the latest span is read "
                f"by default, or give static_range {{'start_span_number', 'end_span_number'}}."
            )
        static = value.get("static_range", value)
        start, end = static.get("start_span_number"), static.get("end_span_number")
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        start, end = value
    else:
        raise DefinitionError(
            f"{name}: range_config must be (start_span, end_span) or TFX's RangeConfig with a "
            f"static_range; got {value!r}."
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise DefinitionError(
            f"{name}: range_config needs integer start and end spans; got {start!r}, {end!r}."
        )
    SpanRange(start=start, end=end)
    return [start, end]
