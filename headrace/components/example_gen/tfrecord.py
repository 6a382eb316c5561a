"""TFRecord files without TensorFlow: framing, gzip shard writing and reading.

A record is `uint64 length | masked crc32c(length) | data | masked crc32c(data)`, all
little-endian. Importing TensorFlow costs about 20 s, so the framing is built here with numpy
and google-crc32c. Output is gzip made of independent members of a few MiB each: deflate
releases the GIL, so members compress in parallel threads, and gzip readers (TensorFlow's
GZIP TFRecordDataset, Python's gzip, Beam) read concatenated members as one stream.
"""

from __future__ import annotations

import collections
import concurrent.futures
import gzip
import os
import struct
from collections.abc import Iterator

import google_crc32c
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.gzip_member import compress_member

_MASK_DELTA = 0xA282EAD8


def _crc32c_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table[i] = crc
    return table


_TABLE = _crc32c_table()


def mask(crc: np.ndarray) -> np.ndarray:
    """TFRecord's masked crc: rotate right by 15 and add a constant (mod 2**32)."""
    c = crc.astype(np.uint64)
    rotated = ((c >> np.uint64(15)) | (c << np.uint64(17))) & np.uint64(0xFFFFFFFF)
    return ((rotated + np.uint64(_MASK_DELTA)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def crc32c_of_lengths(lengths: np.ndarray) -> np.ndarray:
    """crc32c of each length as 8 little-endian bytes, vectorised (table-driven)."""
    data = lengths.astype("<u8").view(np.uint8).reshape(-1, 8)
    crc = np.full(len(lengths), 0xFFFFFFFF, np.uint32)
    for j in range(8):
        crc = _TABLE[(crc ^ data[:, j]) & 0xFF] ^ (crc >> np.uint32(8))
    return crc ^ np.uint32(0xFFFFFFFF)


def record_crcs(records: pa.Array) -> np.ndarray:
    """crc32c of each record (one C call per record; no vectorised crc32c exists here).

    google_crc32c takes only bytes: slicing one bytes copy of the data buffer costs half of
    what `to_pylist()` does, which spent 85% of this function's time building objects.
    """
    n = len(records)
    offsets = np.frombuffer(records.buffers()[1], np.int64)[records.offset : records.offset + n + 1]
    start = int(offsets[0])
    data = records.buffers()[2][start : int(offsets[-1])].to_pybytes() if n else b""
    bounds = (offsets - start).tolist()
    pieces = map(data.__getitem__, map(slice, bounds[:-1], bounds[1:]))
    return np.fromiter(map(google_crc32c.value, pieces), np.uint32, count=n)


def framed_records(records: pa.Array, crcs: np.ndarray) -> pa.Array:
    """Each record of `records` (large_binary) with its TFRecord framing, given its crc32c."""
    n = len(records)
    offsets = np.frombuffer(records.buffers()[1], np.int64)[records.offset : records.offset + n + 1]
    lengths = np.diff(offsets).astype(np.uint64)
    header = np.empty(n, dtype=[("length", "<u8"), ("crc", "<u4")])
    header["length"] = lengths
    header["crc"] = mask(crc32c_of_lengths(lengths))
    footer = mask(crcs).astype("<u4")
    heads = _fixed_width(header.view(np.uint8), 12, n)
    foots = _fixed_width(footer.view(np.uint8), 4, n)
    return pc.binary_join_element_wise(heads, records, foots, pa.scalar(b"", pa.large_binary()))


def contiguous(framed: pa.Array) -> memoryview:
    """The bytes of a large_binary array's values, back to back: a run of framed records."""
    n = len(framed)
    offsets = np.frombuffer(framed.buffers()[1], np.int64)
    start, end = int(offsets[framed.offset]), int(offsets[framed.offset + n])
    data = framed.buffers()[2]
    return memoryview(data)[start:end] if data is not None else memoryview(b"")


def frame(records: pa.Array, crcs: np.ndarray) -> memoryview:
    """The TFRecord bytes of `records` (large_binary) given their crc32c values."""
    return contiguous(framed_records(records, crcs))


def _fixed_width(data: np.ndarray, width: int, n: int) -> pa.Array:
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


class GzipShardWriter:
    """Writes framed TFRecord bytes to one gzip file, compressing members on a thread pool.

    Members are written in order; at most `max_pending` wait in memory, which bounds memory
    whatever the input size.
    """

    def __init__(
        self,
        path: str,
        pool: concurrent.futures.Executor,
        *,
        level: int = 1,
        member_bytes: int = 4 << 20,
        max_pending: int = 4,
    ) -> None:
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._pool = pool
        self._level = level
        self._member_bytes = member_bytes
        self._max_pending = max_pending
        self._buffer: list[bytes | memoryview] = []
        self._buffered = 0
        self._pending: collections.deque[concurrent.futures.Future[bytes]] = collections.deque()
        self._wrote_member = False
        self.records = 0

    def write(self, framed: memoryview | bytes, records: int) -> None:
        self.records += records
        self._buffer.append(framed)
        self._buffered += len(framed)
        if self._buffered >= self._member_bytes:
            self._submit()

    def _submit(self) -> None:
        # A batch's framed rows usually fill a member alone: compress them where they lie.
        data = self._buffer[0] if len(self._buffer) == 1 else b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        self._pending.append(self._pool.submit(compress_member, data, self._level))
        while len(self._pending) > self._max_pending:
            self._write_oldest()

    def _write_oldest(self) -> None:
        self._file.write(self._pending.popleft().result())
        self._wrote_member = True

    def close(self) -> None:
        if self._buffered or not (self._wrote_member or self._pending):
            self._submit()  # an empty shard is still a valid (empty) gzip file
        while self._pending:
            self._write_oldest()
        self._file.close()

    def abort(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._file.close()
        if os.path.exists(self.path):
            os.remove(self.path)


_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


def _masked(value: int) -> int:
    return (((value >> 15) | (value << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def read_records(path: str, compression: str, chunk_records: int) -> Iterator[list[bytes]]:
    """Lists of up to `chunk_records` records from a TFRecord file, checking every crc.

    compression: "gzip" or "none".
    """
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as stream:  # type: ignore[operator]
        chunk: list[bytes] = []
        offset = 0
        while True:
            head = stream.read(12)
            if not head:
                break
            if len(head) < 12:
                raise _corrupt(path, offset, "the file ends inside a record header")
            length, length_crc = _HEADER.unpack(head)
            if _masked(google_crc32c.value(head[:8])) != length_crc:
                raise _corrupt(path, offset, "the length checksum does not match")
            data = stream.read(length)
            foot = stream.read(4)
            if len(data) < length or len(foot) < 4:
                raise _corrupt(path, offset, "the file ends inside a record")
            if _masked(google_crc32c.value(data)) != _FOOTER.unpack(foot)[0]:
                raise _corrupt(path, offset, "the data checksum does not match")
            chunk.append(data)
            offset += 16 + length
            if len(chunk) >= chunk_records:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _corrupt(path: str, offset: int, what: str) -> ExampleGenError:
    return ExampleGenError(
        f"{path}: record at uncompressed byte {offset} is corrupt ({what}); check that the"
        " file is a TFRecord file and that its compression matches the file name (.gz = GZIP)"
    )
