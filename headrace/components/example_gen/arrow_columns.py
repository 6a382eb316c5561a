"""Mapping Arrow column types onto the three tf.Example kinds (int64, float, bytes).

Used for Parquet files and custom readers, whose columns can have any Arrow type.
"""

from __future__ import annotations

import pyarrow as pa

from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.errors import ExampleGenError


def _scalar_kind(kind: pa.DataType) -> ColumnType | None:
    if pa.types.is_dictionary(kind):
        return _scalar_kind(kind.value_type)
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return ColumnType.INT
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return ColumnType.FLOAT
    if (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    ):
        return ColumnType.STRING
    if pa.types.is_null(kind):
        return ColumnType.UNKNOWN
    return None


def _is_list(kind: pa.DataType) -> bool:
    return (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    )


def column_kind(kind: pa.DataType) -> ColumnType | None:
    """The Example kind of an Arrow type (lists: of their values), None if it has none."""
    if _is_list(kind):
        inner = kind.value_type
        return None if _is_list(inner) else _scalar_kind(inner)
    return _scalar_kind(kind)


def _unsupported(name: str, kind: pa.DataType, where: str) -> ExampleGenError:
    return ExampleGenError(
        f"{where}: column {name!r} has type {kind}, which a tf.Example cannot hold (it holds"
        " ints, floats, bytes and lists of one of them); cast the column, e.g. a timestamp"
        " to int64 or string, before ExampleGen reads it"
    )


def schema_kinds(schema: pa.Schema, where: str) -> dict[str, ColumnType]:
    kinds = {}
    for field in schema:
        kind = column_kind(field.type)
        if kind is None:
            raise _unsupported(field.name, field.type, where)
        kinds[field.name] = kind
    return kinds


def _normalize_scalar(column: pa.Array) -> pa.Array:
    kind = column.type
    if pa.types.is_dictionary(kind):
        return _normalize_scalar(column.dictionary_decode())
    if pa.types.is_boolean(kind) or (pa.types.is_integer(kind) and kind != pa.int64()):
        return column.cast(pa.int64())
    if pa.types.is_decimal(kind) or pa.types.is_float16(kind):
        return column.cast(pa.float64())
    if pa.types.is_fixed_size_binary(kind):
        return column.cast(pa.binary())
    return column


def normalize(batch: pa.RecordBatch, where: str) -> pa.RecordBatch:
    """The batch with every column in a type the encoder takes (raises for other types)."""
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if column_kind(field.type) is None:
            raise _unsupported(field.name, field.type, where)
        if pa.types.is_fixed_size_list(field.type):
            column = column.cast(pa.list_(field.type.value_type))
        if _is_list(column.type):
            values = _normalize_scalar(column.flatten())
            if values.type != column.type.value_type:
                column = column.cast(pa.large_list(values.type))
        else:
            column = _normalize_scalar(column)
        columns.append(column)
    if len(set(batch.schema.names)) != len(batch.schema.names):
        raise ExampleGenError(
            f"{where}: column names repeat ({batch.schema.names}); make them unique"
        )
    return pa.RecordBatch.from_arrays(columns, batch.schema.names)


def batch_kinds(batch: pa.RecordBatch) -> dict[str, ColumnType]:
    return {f.name: column_kind(f.type) or ColumnType.STRING for f in batch.schema}
