"""SchemaGen (a schema inferred by TFDV from the statistics of the training data) and
ImportSchemaGen (a user's curated schema file), both writing a Schema artifact `schema.pbtxt`."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment, call-overload"

from __future__ import annotations

import os
import shutil

from headrace.components.data_errors import DataError
from headrace.components.schema_files import SCHEMA_FILE, parse_schema, write_schema
from headrace.components.splits import select_splits, split_names
from headrace.components.statistics_files import read_statistics
from headrace.dsl import Input, Output, Parameter, component
from headrace.types import ExampleStatistics, Schema

TRAIN_SPLIT = "train"


@component(name="SchemaGen")
def SchemaGen(
    statistics: Input[ExampleStatistics],
    schema: Output[Schema],
    infer_feature_shape: Parameter[bool] = True,
    exclude_splits: Parameter[list] | None = None,
) -> None:
    """Infer a schema from the statistics of the train split and write `schema.pbtxt`.

    By default only the `train` split is used (other splits are what the schema validates);
    an input without a `train` split uses all its splits. Passing `exclude_splits` (even `[]`)
    selects TFX's behaviour instead: every split not excluded, the schema inferred from the
    first and updated with the others. `infer_feature_shape` gives features that are always
    present with a fixed number of values a `shape` (dense tensors downstream) instead of a
    `value_count`.
    """
    import tensorflow_data_validation as tfdv

    if exclude_splits is None:
        available = split_names(statistics)
        splits = [TRAIN_SPLIT] if TRAIN_SPLIT in available else available
    else:
        splits = select_splits(statistics, exclude_splits, component="SchemaGen")
    first, *others = splits
    inferred = tfdv.infer_schema(
        read_statistics(statistics, first), infer_feature_shape=infer_feature_shape
    )
    for split in others:
        stats = read_statistics(statistics, split)
        inferred = tfdv.update_schema(inferred, stats, infer_feature_shape=infer_feature_shape)
    path = write_schema(inferred, schema)
    print(
        f"SchemaGen: {len(inferred.feature)} features inferred from splits {splits} -> {path}",
        flush=True,
    )


@component(name="ImportSchemaGen", file_parameters=("schema_file",))
def ImportSchemaGen(schema_file: Parameter[str], schema: Output[Schema]) -> None:
    """Import a user-provided schema file (text-format Schema proto) as a Schema artifact.

    The file is checked to be a valid schema and copied as is (comments kept) to
    `schema.pbtxt`. Its content is part of the cache key, so editing it re-runs the node.
    """
    try:
        with open(schema_file) as f:
            text = f.read()
    except OSError as exc:
        raise DataError(
            f"ImportSchemaGen: cannot read schema_file {schema_file!r} ({exc.strerror}). Check "
            f"the path; relative paths are relative to {os.getcwd()}."
        ) from exc
    parsed = parse_schema(text, f"ImportSchemaGen: schema_file {schema_file!r}")
    path = os.path.join(schema.uri, SCHEMA_FILE)
    shutil.copyfile(schema_file, path)
    print(
        f"ImportSchemaGen: {len(parsed.feature)} features from {schema_file} -> {path}", flush=True
    )
