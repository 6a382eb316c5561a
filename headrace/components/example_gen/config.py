"""Configuration values of ExampleGen: output splits, input splits, span range, CSV format, engine.

All are frozen keyword-only dataclasses so they pickle into Beam workers and hash into cache keys.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headrace.components.example_gen.errors import ExampleGenError

# Split names become directory names (`Split-<name>`) and MLMD property values.
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _check_split_name(name: str) -> None:
    if not isinstance(name, str) or not _SPLIT_NAME.match(name):
        raise ExampleGenError(
            f"split name {name!r} is not allowed: use letters, digits, '_', '-' or '.'"
            " (it becomes the directory name Split-<name>)"
        )


@dataclass(frozen=True, kw_only=True)
class HashSplits:
    """Output splits chosen by hashing each row into integer buckets (TFX `hash_buckets`).

    `buckets` maps split name to its share, e.g. {"train": 2, "eval": 1}. With
    `partition_feature`, the hash covers that column's value only, so rows with equal values
    land in the same split; otherwise it covers the whole serialized example.
    """

    buckets: Mapping[str, int] | tuple[tuple[str, int], ...] = (("train", 2), ("eval", 1))
    partition_feature: str | None = None

    def __post_init__(self) -> None:
        pairs = tuple(self.buckets.items() if isinstance(self.buckets, Mapping) else self.buckets)
        if not pairs:
            raise ExampleGenError("HashSplits needs at least one split, e.g. {'train': 2}")
        seen: set[str] = set()
        for name, share in pairs:
            _check_split_name(name)
            if name in seen:
                raise ExampleGenError(f"split name {name!r} is given twice")
            seen.add(name)
            if not isinstance(share, int) or isinstance(share, bool) or share <= 0:
                raise ExampleGenError(
                    f"split {name!r} has {share!r} hash buckets: use a positive integer"
                )
        # Stored as a tuple of pairs: hashable and picklable, unlike a mapping proxy.
        object.__setattr__(self, "buckets", pairs)

    @property
    def pairs(self) -> tuple[tuple[str, int], ...]:
        """(split name, bucket count) in order (`buckets` is stored as this tuple)."""
        return self.buckets  # type: ignore[return-value]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.pairs)


@dataclass(frozen=True, kw_only=True)
class InputSplit:
    """A pre-split input: every row of the files matching `pattern` goes to split `name`."""

    name: str
    pattern: str

    def __post_init__(self) -> None:
        _check_split_name(self.name)


@dataclass(frozen=True, kw_only=True)
class SpanRange:
    """An inclusive range of spans to read instead of the latest span (TFX `static_range`)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ExampleGenError(
                f"span range {self.start}..{self.end} is empty or negative: use 0 <= start <= end"
            )


@dataclass(frozen=True, kw_only=True)
class CsvFormat:
    """How the CSV files are written. The first row of every file is the header."""

    delimiter: str = ","
    quote_char: str = '"'

    def __post_init__(self) -> None:
        for what, char in (("delimiter", self.delimiter), ("quote_char", self.quote_char)):
            if len(char) != 1 or char in "\r\n":
                raise ExampleGenError(f"CSV {what} must be one character other than a newline")
        if self.delimiter == self.quote_char:
            raise ExampleGenError("CSV delimiter and quote_char must differ")


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    """How the conversion runs; none of these change the rows written, only shards and speed.

    beam_args: Beam pipeline options, e.g. ("--direct_running_mode=multi_processing",
      "--direct_num_workers=2"); the default is the in-process DirectRunner.
    unit_bytes: a CSV file larger than this is cut into byte ranges converted in parallel,
      and Parquet files into groups of row groups of about this size; each work unit writes one
      shard per split.
    block_bytes: bytes of CSV parsed at a time; bounds the memory of one work unit.
    batch_rows: rows per batch read from Parquet, TFRecord or a custom reader.
    compression_level: ISA-L deflate level of the gzipped TFRecords, 0-3 (1: the default).
    gzip_member_bytes: uncompressed bytes per gzip member; members compress in parallel.
    threads: threads encoding and compressing in each work unit (default: the CPUs, divided
      among the workers when beam_args run the DirectRunner in several processes).
    """

    beam_args: tuple[str, ...] = ()
    unit_bytes: int = 128 << 20  # in-process Beam runs units one after another: few, large ones
    block_bytes: int = 4 << 20
    batch_rows: int = 32768
    compression_level: int = 1
    threads: int | None = None
    gzip_member_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "beam_args", tuple(self.beam_args))
        if not 0 <= self.compression_level <= 3:
            raise ExampleGenError(
                f"compression_level {self.compression_level} is not an ISA-L deflate level: use "
                f"0 to 3 (1, the default, is the fastest that still compresses well)"
            )
        if self.threads is not None and self.threads <= 0:
            raise ExampleGenError("threads must be positive")
        for what in ("unit_bytes", "block_bytes", "batch_rows", "gzip_member_bytes"):
            if getattr(self, what) <= 0:
                raise ExampleGenError(f"{what} must be positive")

    def worker_threads(self) -> int:
        """Threads per work unit: `threads`, or the CPUs shared by the worker processes (more
        threads than cores only add switching)."""
        if self.threads:
            return self.threads
        cpus = os.cpu_count() or 1
        workers = 1
        if "--direct_running_mode=multi_processing" in self.beam_args:
            for arg in self.beam_args:
                if arg.startswith("--direct_num_workers="):
                    workers = int(arg.split("=", 1)[1]) or cpus  # 0 means one per CPU
        return max(1, cpus // workers)


class Compression(enum.Enum):
    """Compression of TFRecord input. AUTO decides by file name, as Beam does: `.gz`/`.gzip`
    is GZIP, anything else NONE."""

    AUTO = "auto"
    GZIP = "gzip"
    NONE = "none"


# A custom reader: called with one input file path, yields pyarrow.RecordBatch objects or
# dicts of column name -> value (or list of values). See custom_source.
ReadFn = Callable[[str], Iterable[Any]]
