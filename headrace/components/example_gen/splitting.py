"""Assigning rows to output splits by deterministic hash buckets.

A row's hash is the crc32c of its serialized example (already computed for the TFRecord
framing, so it costs nothing) or of its partition feature's value, passed through murmur3's
finalizer so that every bit of the crc affects the bucket. crc32c is a fixed function of the
bytes, unlike Python's salted `hash`, so a row lands in the same split in every run and process.
"""

from __future__ import annotations

from dataclasses import dataclass

import google_crc32c
import numpy as np
import pyarrow as pa

from headrace.components.example_gen.errors import ExampleGenError


def mix(hashes: np.ndarray) -> np.ndarray:
    """murmur3's 32-bit finalizer, vectorised (uint32 arithmetic wraps as intended)."""
    h = hashes.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@dataclass(frozen=True, kw_only=True)
class SplitAssigner:
    """Maps row hashes to split indices in proportion to integer bucket counts."""

    names: tuple[str, ...]
    buckets: tuple[int, ...]

    def assign(self, hashes: np.ndarray) -> np.ndarray:
        bucket = mix(hashes) % np.uint32(sum(self.buckets))
        bounds = np.cumsum(self.buckets)
        return np.searchsorted(bounds, bucket, side="right").astype(np.int64)


def partition_key_hashes(column: pa.Array, feature: str) -> np.ndarray:
    """crc32c of each row's partition value, as text; missing values all hash alike."""
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = _first_values(column)
    if not (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_binary(column.type)
        or pa.types.is_large_binary(column.type)
        or pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_boolean(column.type)
        or pa.types.is_null(column.type)
    ):
        raise ExampleGenError(
            f"partition feature {feature!r} has type {column.type}; use an int, float or"
            " string column"
        )
    if pa.types.is_floating(column.type) or pa.types.is_boolean(column.type):
        column = column.cast(pa.string())
    elif pa.types.is_integer(column.type):
        column = column.cast(pa.int64()).cast(pa.string())
    values = column.to_pylist()
    return np.fromiter(
        (google_crc32c.value(_as_bytes(v)) for v in values), np.uint32, count=len(values)
    )


def _as_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode("utf-8") if isinstance(value, str) else value


def _first_values(column: pa.Array) -> pa.Array:
    """The first value of each list (null for empty or missing lists)."""
    offsets = np.frombuffer(
        column.buffers()[1], np.int64 if pa.types.is_large_list(column.type) else np.int32
    )
    offsets = offsets[column.offset : column.offset + len(column) + 1]
    values = column.values
    lengths = np.diff(offsets)
    has = lengths > 0
    if column.null_count:
        has &= np.asarray(column.is_valid())
    picks = np.where(has, offsets[:-1], 0)
    if len(values) == 0:
        return pa.nulls(len(column), pa.string())
    taken = values.take(pa.array(picks))
    return pa.array(taken.to_pylist(), type=taken.type, mask=~has)
