"""Test helpers: read ExampleGen output shards and decode tf.Example without TensorFlow."""

from __future__ import annotations

import glob
import os
import struct
from pathlib import Path

from headrace.components.example_gen.tfrecord import read_records

DATA = Path(__file__).parent / "data"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs of one protobuf message: varints or length-delimited."""
    out, pos = [], 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire == 5:
            out.append((number, data[pos : pos + 4]))
            pos += 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
    return out


def parse_example(data: bytes) -> dict[str, tuple[str | None, list]]:
    """key -> (kind, values) of a serialized tf.Example; kind None for a Feature without kind."""
    parsed: dict[str, tuple[str | None, list]] = {}
    for number, features in _fields(data):
        assert number == 1
        for entry_number, entry in _fields(features):  # type: ignore[arg-type]
            assert entry_number == 1
            parts = dict(_fields(entry))  # type: ignore[arg-type]
            key = parts[1].decode()  # type: ignore[union-attr]
            feature = _fields(parts.get(2, b""))  # type: ignore[arg-type]
            if not feature:
                parsed[key] = (None, [])
                continue
            ((kind_number, payload),) = feature
            values: list = []
            for _, value in _fields(payload):  # type: ignore[arg-type]
                if kind_number == 1:
                    values.append(value)
                elif kind_number == 2:
                    values.extend(struct.unpack(f"<{len(value) // 4}f", value))  # type: ignore[arg-type]
                else:
                    pos = 0
                    while pos < len(value):  # type: ignore[arg-type]
                        v, pos = _varint(value, pos)  # type: ignore[arg-type]
                        values.append(v - (1 << 64) if v >= 1 << 63 else v)
            parsed[key] = ({1: "bytes", 2: "float", 3: "int"}[kind_number], values)
    return parsed


def split_files(output_dir: str | os.PathLike, split: str) -> list[str]:
    return sorted(glob.glob(os.path.join(output_dir, f"Split-{split}", "*")))


def read_split(output_dir: str | os.PathLike, split: str) -> list[dict]:
    """All examples of one split, decoded."""
    examples = []
    for path in split_files(output_dir, split):
        for chunk in read_records(path, "gzip", 1000):
            examples.extend(parse_example(record) for record in chunk)
    return examples


def values(example: dict, key: str):
    """The single value of a feature, or None when it is missing."""
    _kind, found = example[key]
    return found[0] if found else None


def read_split_sample(
    output_dir: str | os.PathLike, split: str, every: int
) -> tuple[int, list[dict]]:
    """The number of examples in a split and every `every`-th one, decoded (decoding in
    Python is slow: big outputs are sampled)."""
    count, sample = 0, []
    for path in split_files(output_dir, split):
        for chunk in read_records(path, "gzip", 1000):
            for record in chunk:
                if count % every == 0:
                    sample.append(parse_example(record))
                count += 1
    return count, sample
