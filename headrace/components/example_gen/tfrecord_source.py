"""TFRecord input (ImportExampleGen): serialized examples, gzipped or not, re-split or not."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import pyarrow as pa

from headrace.components.example_gen.config import Compression, EngineOptions
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.tfrecord import read_records
from headrace.components.example_gen.units import WorkUnit


def compression_of(path: str, compression: Compression) -> str:
    if compression is Compression.AUTO:
        return "gzip" if path.endswith((".gz", ".gzip")) else "none"
    return compression.value


def plan(inputs: Sequence[tuple[str | None, str]]) -> list[WorkUnit]:
    return [
        WorkUnit(path=path, split=split, file_index=i) for i, (split, path) in enumerate(inputs)
    ]


def read(unit: WorkUnit, compression: Compression, options: EngineOptions) -> Iterator[pa.Array]:
    kind = compression_of(unit.path, compression)
    try:
        for chunk in read_records(unit.path, kind, options.batch_rows):
            yield pa.array(chunk, pa.large_binary())
    except (OSError, EOFError, zlib.error) as exc:
        raise ExampleGenError(
            f"{unit.path}: cannot read it as a {kind.upper()} TFRecord file ({exc}); set the"
            " compression to match the file (a .gz name means GZIP)"
        ) from None


def partition_column(records: pa.Array, feature: str, where: str) -> pa.Array:
    """The values of one feature of serialized examples, decoded by tfx_bsl."""
    from tfx_bsl.coders.example_coder import ExamplesToRecordBatchDecoder

    batch = ExamplesToRecordBatchDecoder().DecodeBatch(records.to_pylist())
    if feature not in batch.schema.names:
        raise ExampleGenError(
            f"{where}: partition feature {feature!r} is in none of the examples; features"
            f" present: {sorted(batch.schema.names)}"
        )
    return batch.column(batch.schema.get_field_index(feature))
