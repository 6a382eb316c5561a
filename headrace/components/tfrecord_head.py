"""The first records of TFRecord files, read without TensorFlow (Beam's filesystems open local or
remote files and undo gzip by the `.gz` suffix): a few examples to build requests from."""

from __future__ import annotations

import struct
from collections.abc import Iterator


def _records(stream: object) -> Iterator[bytes]:
    # A TFRecord is: uint64 length, uint32 masked CRC of the length, data, uint32 CRC of the data.
    read = stream.read  # type: ignore[attr-defined]
    while True:
        header = read(12)
        if not header:
            return
        if len(header) < 12:
            raise ValueError("truncated TFRecord header")
        (length,) = struct.unpack("<Q", header[:8])
        data = read(length)
        if len(data) < length or len(read(4)) < 4:
            raise ValueError("truncated TFRecord")
        yield data


def head_records(pattern: str, count: int) -> list[bytes]:
    """Up to `count` records from the files matching `pattern`, in file-name order."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    found: list[bytes] = []
    paths = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    for path in paths:
        with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as stream:
            for record in _records(stream):
                found.append(record)
                if len(found) >= count:
                    return found
    return found
