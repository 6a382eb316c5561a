"""What a conversion returns to its caller (the component wrapper publishes it to MLMD)."""

from __future__ import annotations

from dataclasses import dataclass

from headrace.components.example_gen.column_types import ColumnType


@dataclass(frozen=True, kw_only=True)
class ExampleGenResult:
    output_dir: str
    split_names: tuple[str, ...]
    rows_per_split: dict[str, int]
    span: int  # 0 without a {SPAN} or date placeholder, as in TFX
    version: int | None
    column_types: dict[str, ColumnType]  # empty for TFRecord input, which is not decoded
    input_files: tuple[str, ...]

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_split.values())
