"""TFX's "inherit" pattern for new data sources: `FileBasedExampleGen(input_base=...,
custom_executor_spec=ExecutorClassSpec(MyExecutor))`, where `MyExecutor` subclasses
`BaseExampleGenExecutor` and returns a Beam `ptransform_fn` from
`GetInputSourceToExamplePTransform()`; it is applied per input split as
`pipeline | ptransform(exec_properties, split_pattern)` and yields tf.Examples (or their bytes).

One input split is hash-split into the output splits (`output_config`, default train 2 : eval 1),
several are kept as they are; each split is written as gzipped TFRecords under `Split-<name>/`,
the layout every downstream component reads. The executor's source file is part of the cache
key, like a module file.
"""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in (as in trainer.py).
# mypy: disable-error-code="attr-defined, arg-type, misc, index"

from __future__ import annotations

import gzip
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import struct
from typing import Any

from headrace.components.proto_parameters import to_parameter
from headrace.dsl import ExecutionContext, Node, Output, Parameter, component
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError
from headrace.tfx.custom import BaseBeamExecutor, ExecutorClassSpec, ExecutorContext
from headrace.tfx.unsupported import not_provided
from headrace.types import Examples

_DEFAULT_BUCKETS = [["train", 2], ["eval", 1]]


class BaseExampleGenExecutor(BaseBeamExecutor):
    """Subclass it and define `GetInputSourceToExamplePTransform(self)` returning a
    `@beam.ptransform_fn` taking `(pipeline, exec_properties, split_pattern)`."""

    def GetInputSourceToExamplePTransform(self) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define GetInputSourceToExamplePTransform()"
        )


def FileBasedExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    custom_config: Any = None,
    range_config: Any = None,
    output_data_format: int | None = None,
    output_file_format: int | None = None,
    custom_executor_spec: Any = None,
) -> Node:
    """TFX's FileBasedExampleGen with a custom executor (see the module docstring)."""
    if custom_executor_spec is None:
        not_provided(
            "tfx.components.FileBasedExampleGen without custom_executor_spec",
            "custom_executor_spec=ExecutorClassSpec(MyExampleGenExecutor), or "
            "headrace.components.FileBasedExampleGen(module_file=...) with a read_fn",
        )
    if not isinstance(custom_executor_spec, ExecutorClassSpec):
        raise DefinitionError(
            "FileBasedExampleGen: custom_executor_spec must be ExecutorClassSpec(MyExecutor)."
        )
    executor = custom_executor_spec.executor_class
    if not (inspect.isclass(executor) and issubclass(executor, BaseExampleGenExecutor)):
        raise DefinitionError(
            f"FileBasedExampleGen: {executor!r} must subclass BaseExampleGenExecutor "
            f"(tfx.components.example_gen.base_example_gen_executor)."
        )
    for name, value in (
        ("range_config", range_config),
        ("output_data_format", output_data_format),
        ("output_file_format", output_file_format),
    ):
        if value not in (None, 6, 5):  # FORMAT_TF_EXAMPLE, FORMAT_TFRECORDS_GZIP
            not_provided(
                f"FileBasedExampleGen({name}=...) with a custom executor",
                "tf.Examples in gzipped TFRecords, all input files",
            )
    if input_base is None:
        raise DefinitionError("FileBasedExampleGen: input_base (the data directory) is required.")
    source = inspect.getsourcefile(executor)
    inputs = to_parameter(
        input_config,
        component="FileBasedExampleGen",
        argument="input_config",
        message="example_gen_pb2.Input",
    )
    outputs = to_parameter(
        output_config,
        component="FileBasedExampleGen",
        argument="output_config",
        message="example_gen_pb2.Output",
    )
    custom = to_parameter(
        custom_config,
        component="FileBasedExampleGen",
        argument="custom_config",
        message="example_gen_pb2.CustomConfig",
    )
    node: Node = _custom_example_gen(
        input_base=os.path.abspath(input_base),
        input_config=inputs or {"splits": [{"name": "single_split", "pattern": "*"}]},
        output_config=outputs or {},
        custom_config=custom,
        executor_module=executor.__module__,
        executor_qualname=executor.__qualname__,
        executor_file=os.path.abspath(source) if source else "",
    )
    return node.with_id("FileBasedExampleGen")


@component(name="FileBasedExampleGen", file_parameters=("input_base", "executor_file"), beam=True)
def _custom_example_gen(
    examples: Output[Examples],
    input_base: Parameter[str],
    input_config: Parameter[dict],
    output_config: Parameter[dict],
    executor_module: Parameter[str],
    executor_qualname: Parameter[str],
    executor_file: Parameter[str],
    context: ExecutionContext,
    custom_config: Parameter[dict] | None = None,
) -> None:
    """Examples from a TFX BaseExampleGenExecutor's Beam ptransform, one call per input split."""
    import apache_beam as beam

    executor_class = _load(executor_module, executor_qualname, executor_file)
    executor = executor_class(
        ExecutorContext(
            beam_pipeline_args=list(context.beam_args),
            tmp_dir=context.temp_dir,
            unique_id=str(context.execution_id),
            pipeline_run_id=context.run_id,
            pipeline_node_id=context.node_id,
        )
    )
    to_examples = executor.GetInputSourceToExamplePTransform()
    exec_properties = {
        "input_base": input_base,
        "input_config": json.dumps(input_config),
        "output_config": json.dumps(output_config),
        "custom_config": json.dumps(custom_config) if custom_config else None,
        "span": 0,
        "version": None,
    }
    input_splits = [(s.get("name", ""), s["pattern"]) for s in input_config.get("splits", [])]
    split_config = output_config.get("split_config") or {}
    buckets = [[s["name"], int(s["hash_buckets"])] for s in split_config.get("splits", [])]
    if len(input_splits) > 1 and buckets:
        raise DefinitionError(
            "FileBasedExampleGen: give either several input splits or output hash buckets, "
            "not both (as in TFX)."
        )
    buckets = buckets or _DEFAULT_BUCKETS
    out_names = [n for n, _ in buckets] if len(input_splits) == 1 else [n for n, _ in input_splits]
    counts: dict[str, int] = {}
    with executor._make_beam_pipeline() as pipeline:
        for name, pattern in input_splits:
            records = (
                pipeline
                | f"InputToRecord[{name}]" >> to_examples(exec_properties, pattern)
                | f"Serialize[{name}]" >> beam.Map(_serialized)
            )
            if len(input_splits) == 1:
                total = sum(b for _, b in buckets)
                bounds = [sum(b for _, b in buckets[: i + 1]) for i in range(len(buckets))]
                parts = records | "Split" >> beam.Partition(_bucket, len(buckets), total, bounds)
                for (split, _), part in zip(buckets, parts, strict=True):
                    _write(part, examples.uri, split)
            else:
                _write(records, examples.uri, name)
    for split in out_names:
        counts[split] = _count(os.path.join(examples.uri, f"Split-{split}"))
    examples.properties["split_names"] = json.dumps(out_names)
    examples.properties["span"] = 0
    examples.properties["rows_per_split"] = json.dumps(counts)
    print(
        f"FileBasedExampleGen ({executor_class.__name__}): "
        + ", ".join(f"{s}: {n}" for s, n in counts.items()),
        flush=True,
    )


def _serialized(example: Any) -> bytes:
    if isinstance(example, bytes):
        return example
    return bytes(example.SerializeToString(deterministic=True))


def _bucket(record: bytes, _partitions: int, total: int, bounds: list[int]) -> int:
    # Deterministic per example content, so a re-run splits the same rows the same way.
    value = int.from_bytes(hashlib.sha256(record).digest()[:8], "big") % total
    return next(i for i, bound in enumerate(bounds) if value < bound)


def _write(records: Any, uri: str, split: str) -> None:
    import apache_beam as beam

    # The .gz suffix makes Beam gzip the shards (compression AUTO), as TFX's ExampleGen wrote.
    _ = records | f"Write[{split}]" >> beam.io.WriteToTFRecord(
        os.path.join(uri, f"Split-{split}", "data_tfrecord"), file_name_suffix=".gz"
    )


def _count(directory: str) -> int:
    """Records in the gzipped TFRecord shards of one split (read by their framing: a little-
    endian uint64 length, 4 bytes of CRC, the data, 4 more bytes of CRC), without TensorFlow."""
    count = 0
    for name in sorted(os.listdir(directory)):
        with gzip.open(os.path.join(directory, name), "rb") as f:
            while header := f.read(12):
                (length,) = struct.unpack("<Q", header[:8])
                f.seek(length + 4, os.SEEK_CUR)
                count += 1
    return count


def _load(module: str, qualname: str, file: str) -> Any:
    try:
        if module == "__main__" or not _importable(module):
            target: Any = import_file(file) if file else importlib.import_module(module)
        else:
            target = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, OSError) as exc:
        raise DefinitionError(
            f"FileBasedExampleGen: cannot load the executor {qualname} from {file or module}: "
            f"{exc}."
        ) from exc
    return target


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
