"""The values passed between the stages of the conversion pipeline.

A work unit is the piece of input one worker converts and writes its own shards for: a whole
file, a byte range of a CSV file, or a run of Parquet row groups. An attempt is what
converting a unit wrote; the plan decides which attempts stand and which are redone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from headrace.components.example_gen.column_types import ColumnType


class TypesChanged(Exception):
    """A unit read with guessed column types met a value needing a wider type."""


@dataclass(frozen=True, kw_only=True)
class WorkUnit:
    path: str
    split: str | None = None  # the output split of pre-split input; None: hash buckets
    start: int = 0  # CSV: byte offset; Parquet: first row group
    end: int | None = None  # exclusive; None: to the end of the file
    file_index: int = 0  # position of the file among all inputs, for a stable order
    columns: tuple[str, ...] = ()  # CSV: the header of the file

    @property
    def whole_file(self) -> bool:
        return self.start == 0 and self.end is None

    def describe(self) -> str:
        if self.whole_file:
            return self.path
        return f"{self.path} [{self.start}:{'' if self.end is None else self.end}]"


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    """What a string-only pass over a unit learnt: column types, rows, or an error."""

    unit: WorkUnit
    types: dict[str, ColumnType] = field(default_factory=dict)
    rows: int = 0
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """What converting one unit wrote, in files of its own until the plan names them."""

    unit: WorkUnit
    files: dict[str, str] = field(default_factory=dict)  # split -> shard written
    rows_per_split: dict[str, int] = field(default_factory=dict)
    rows_in: int = 0
    # Kinds written per column; a column with only missing values has none.
    kinds: dict[str, tuple[ColumnType, ...]] = field(default_factory=dict)
    # The unit's last row holds a newline: its end may cut a quoted multi-line field.
    cut_suspect: bool = False
    error: str | None = None

    def discard(self) -> None:
        for path in self.files.values():
            if os.path.exists(path):
                os.remove(path)
