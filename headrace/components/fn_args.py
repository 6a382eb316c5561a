"""`FnArgs` and `DataAccessor`: what TFX module files' `run_fn(fn_args)` and `tuner_fn(fn_args)`
receive, built from a node's artifacts and its train/eval arguments."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from headrace.components.schema_files import schema_file
from headrace.components.splits import split_names, split_uri
from headrace.errors import DefinitionError
from headrace.types import Examples, HyperParameters, Model, Schema, TransformGraph

SERVING_MODEL_DIR = "Format-Serving"
EVAL_MODEL_DIR = "Format-TFMA"
HYPERPARAMETERS_FILE = "best_hyperparameters.txt"


class DataAccessor(NamedTuple):
    """Factories that read the examples, whatever their on-disk format (TFX's DataAccessor).

    `tf_dataset_factory(file_pattern, tfxio.TensorFlowDatasetOptions(...), schema)` gives a
    `tf.data.Dataset` of feature dicts (and labels when the options name a `label_key`);
    `record_batch_factory(file_pattern, tfxio.RecordBatchesOptions(...), schema)` an iterator of
    Arrow RecordBatches.
    """

    tf_dataset_factory: Callable[..., Any]
    record_batch_factory: Callable[..., Any]
    data_view_decode_fn: Callable[..., Any] | None = None


@dataclass(kw_only=True)
class FnArgs:
    """The attributes TFX module files read; `schema_file`/`transform_output` are TFX's older
    names for `schema_path`/`transform_graph_path` and carry the same values."""

    working_dir: str | None = None
    train_files: list[str] = field(default_factory=list)
    eval_files: list[str] = field(default_factory=list)
    train_steps: int | None = None
    eval_steps: int | None = None
    schema_path: str | None = None
    schema_file: str | None = None
    transform_graph_path: str | None = None
    transform_output: str | None = None
    data_accessor: DataAccessor | None = None
    serving_model_dir: str | None = None
    eval_model_dir: str | None = None
    model_run_dir: str | None = None
    base_model: str | None = None
    hyperparameters: dict[str, Any] | None = None
    custom_config: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class SplitArgs:
    """TFX's TrainArgs/EvalArgs as a plain dict: `{"splits": [...], "num_steps": N}`."""

    splits: tuple[str, ...]
    num_steps: int | None


def split_args(
    value: Mapping[str, Any] | None, *, component: str, parameter: str, default_split: str
) -> SplitArgs:
    """Check and read a `train_args`/`eval_args` dict; splits default as in TFX."""
    value = dict(value or {})
    unknown = sorted(set(value) - {"splits", "num_steps"})
    example = '{"splits": ["' + default_split + '"], "num_steps": 100}'
    if unknown:
        raise DefinitionError(
            f"{component}: {parameter} has unknown keys {unknown}; it takes 'splits' and "
            f"'num_steps', e.g. {example}."
        )
    splits = value.get("splits") or [default_split]
    steps = value.get("num_steps")
    if isinstance(splits, str) or not all(isinstance(s, str) for s in splits):
        raise DefinitionError(
            f"{component}: {parameter}['splits'] must be a list of split names, e.g. {example}."
        )
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise DefinitionError(
            f"{component}: {parameter}['num_steps'] must be a whole number >= 0 (0 or None: "
            f"until the data runs out), got {steps!r}."
        )
    # As in TFX: 0 means "not set" (Keras then runs until the dataset is exhausted).
    return SplitArgs(splits=tuple(splits), num_steps=steps or None)


def split_dir(examples: Examples, split: str, *, component: str, port: str = "examples") -> str:
    """The directory of one split, with an error naming the splits there are."""
    import tensorflow as tf

    names = split_names(examples)
    uri = split_uri(examples, split)
    if split not in names or not tf.io.gfile.isdir(uri):
        raise DefinitionError(
            f"{component}: input {port!r} has no split {split!r}; it has {names}. Fix the "
            f"splits in the component's arguments."
        )
    return uri


def file_patterns(examples: Examples, splits: tuple[str, ...], *, component: str) -> list[str]:
    # TFX's io_utils.all_files_pattern: every file of the split directory.
    return [os.path.join(split_dir(examples, s, component=component), "*") for s in splits]


def read_hyperparameters(artifact: HyperParameters, *, component: str) -> dict[str, Any]:
    """The KerasTuner HyperParameters config a Tuner wrote: JSON in `best_hyperparameters.txt`
    (or the directory's only file, as TFX reads it)."""
    import tensorflow as tf

    path = os.path.join(artifact.uri, HYPERPARAMETERS_FILE)
    if not tf.io.gfile.exists(path):
        files = [f for f in tf.io.gfile.listdir(artifact.uri) if not f.startswith(".")]
        if len(files) != 1:
            raise DefinitionError(
                f"{component}: input 'hyperparameters' at {artifact.uri} has no "
                f"{HYPERPARAMETERS_FILE} (files: {sorted(files)}); it should come from a Tuner."
            )
        path = os.path.join(artifact.uri, files[0])
    with tf.io.gfile.GFile(path) as f:
        config: dict[str, Any] = json.load(f)
    return config


def make_data_accessor(telemetry: str) -> DataAccessor:
    """A DataAccessor over gzipped TFRecords of tf.Example, read with tfx_bsl's TFXIO."""

    def tf_dataset_factory(file_pattern: Any, options: Any, schema: Any = None) -> Any:
        from tfx_bsl.public import tfxio

        record = tfxio.TFExampleRecord(
            file_pattern=list(file_pattern)
            if isinstance(file_pattern, list | tuple)
            else file_pattern,
            schema=schema,
            telemetry_descriptors=[telemetry],
        )
        return record.TensorFlowDataset(options)

    def record_batch_factory(file_pattern: Any, options: Any, schema: Any = None) -> Any:
        from tfx_bsl.public import tfxio

        record = tfxio.TFExampleRecord(
            file_pattern=list(file_pattern)
            if isinstance(file_pattern, list | tuple)
            else file_pattern,
            schema=schema,
            telemetry_descriptors=[telemetry],
        )
        return record.RecordBatches(options)

    return DataAccessor(
        tf_dataset_factory=tf_dataset_factory, record_batch_factory=record_batch_factory
    )


def common_fn_args(
    *,
    component: str,
    examples: Examples,
    transform_graph: TransformGraph | None,
    schema: Schema | None,
    train_args: Mapping[str, Any] | None,
    eval_args: Mapping[str, Any] | None,
    custom_config: Mapping[str, Any] | None,
    hyperparameters: HyperParameters | None = None,
    base_model: Model | None = None,
    working_dir: str | None = None,
) -> FnArgs:
    """The FnArgs shared by Trainer and Tuner (TFX's get_common_fn_args)."""
    train = split_args(
        train_args, component=component, parameter="train_args", default_split="train"
    )
    evaluate = split_args(
        eval_args, component=component, parameter="eval_args", default_split="eval"
    )
    schema_path = schema_file(schema) if schema else None
    transform_path = transform_graph.uri if transform_graph else None
    return FnArgs(
        working_dir=working_dir,
        train_files=file_patterns(examples, train.splits, component=component),
        eval_files=file_patterns(examples, evaluate.splits, component=component),
        train_steps=train.num_steps,
        eval_steps=evaluate.num_steps,
        schema_path=schema_path,
        schema_file=schema_path,
        transform_graph_path=transform_path,
        transform_output=transform_path,
        data_accessor=make_data_accessor(component),
        base_model=os.path.join(base_model.uri, SERVING_MODEL_DIR) if base_model else None,
        hyperparameters=(
            read_hyperparameters(hyperparameters, component=component) if hyperparameters else None
        ),
        custom_config=dict(custom_config) if custom_config is not None else None,
    )
