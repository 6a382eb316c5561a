"""The input formats behind one Source protocol that the conversion pipeline drives.

A source plans work units (in the driver, reading only headers and metadata) and reads a
unit as Arrow batches or as serialized examples. CSV, which carries no schema, also scans a
unit when guessed types fail, and says when a file must be converted as one unit instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from headrace.components.example_gen import (
    csv_source,
    custom_source,
    parquet_source,
    tfrecord_source,
)
from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.config import Compression, CsvFormat, EngineOptions, ReadFn
from headrace.components.example_gen.units import ScanResult, WorkUnit

Inputs = Sequence[tuple[str | None, str]]  # (pre-split name or None, file path)


class Source(Protocol):
    @property
    def options(self) -> EngineOptions: ...

    @property
    def guesses_types(self) -> bool:
        """CSV only: types are guessed per unit; a unit can be converted again with others."""
        ...

    @property
    def cuts_bytes(self) -> bool:
        """CSV only: units are byte ranges whose cuts may fall inside a record."""
        ...

    def plan(self, inputs: Inputs) -> list[WorkUnit]: ...

    def scan(self, unit: WorkUnit) -> ScanResult:
        """Types and rows from a string-only pass (only called after TypesChanged)."""
        ...

    def read(
        self, unit: WorkUnit, types: dict[str, ColumnType] | None
    ) -> Iterator[pa.RecordBatch] | Iterator[pa.Array]:
        """Batches of the unit; types None: the source guesses them (may raise TypesChanged)."""
        ...

    def cut_suspect(self, unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
        """Whether the unit's end may have cut a record in two (see csv_source)."""
        ...


@dataclass(frozen=True, kw_only=True)
class CsvSource:
    fmt: CsvFormat
    options: EngineOptions
    guesses_types: bool = True
    cuts_bytes: bool = True

    def plan(self, inputs: Inputs) -> list[WorkUnit]:
        return csv_source.plan(inputs, self.fmt, self.options)

    def scan(self, unit: WorkUnit) -> ScanResult:
        return csv_source.scan(unit, self.fmt, self.options)

    def read(self, unit: WorkUnit, types: dict[str, ColumnType] | None) -> Iterator[pa.RecordBatch]:
        return csv_source.read(unit, types, self.fmt, self.options)

    def cut_suspect(self, unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
        return csv_source.ends_inside_quotes(unit, last)


@dataclass(frozen=True, kw_only=True)
class ParquetSource:
    options: EngineOptions
    guesses_types: bool = False
    cuts_bytes: bool = False

    def plan(self, inputs: Inputs) -> list[WorkUnit]:
        return parquet_source.plan(inputs, self.options)

    def scan(self, unit: WorkUnit) -> ScanResult:
        return parquet_source.scan(unit)

    def read(self, unit: WorkUnit, types: dict[str, ColumnType] | None) -> Iterator[pa.RecordBatch]:
        return parquet_source.read(unit, self.options)

    def cut_suspect(self, unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class TFRecordSource:
    compression: Compression
    options: EngineOptions
    guesses_types: bool = False
    cuts_bytes: bool = False

    def plan(self, inputs: Inputs) -> list[WorkUnit]:
        return tfrecord_source.plan(inputs)

    def scan(self, unit: WorkUnit) -> ScanResult:
        return ScanResult(unit=unit)

    def read(self, unit: WorkUnit, types: dict[str, ColumnType] | None) -> Iterator[pa.Array]:
        return tfrecord_source.read(unit, self.compression, self.options)

    def cut_suspect(self, unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
        return False


@dataclass(frozen=True, kw_only=True)
class CustomSource:
    read_fn: ReadFn
    options: EngineOptions
    guesses_types: bool = False
    cuts_bytes: bool = False

    def plan(self, inputs: Inputs) -> list[WorkUnit]:
        return custom_source.plan(inputs)

    def scan(self, unit: WorkUnit) -> ScanResult:
        return ScanResult(unit=unit)

    def read(self, unit: WorkUnit, types: dict[str, ColumnType] | None) -> Iterator[pa.RecordBatch]:
        return custom_source.read(unit, self.read_fn, self.options)

    def cut_suspect(self, unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
        return False
