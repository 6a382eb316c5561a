"""Parquet input, streamed batch by batch; a work unit is a run of row groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from headrace.components.example_gen.arrow_columns import normalize, schema_kinds
from headrace.components.example_gen.config import EngineOptions
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.units import ScanResult, WorkUnit


def _open(path: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExampleGenError(
            f"{path} is not a readable Parquet file ({exc}); check the pattern matches only"
            " Parquet files and that they were completely written"
        ) from None


def plan(inputs: Sequence[tuple[str | None, str]], options: EngineOptions) -> list[WorkUnit]:
    units: list[WorkUnit] = []
    first: tuple[str, dict] | None = None
    for file_index, (split, path) in enumerate(inputs):
        parquet = _open(path)
        kinds = schema_kinds(parquet.schema_arrow, path)
        if first is None:
            first = (path, kinds)
        elif kinds != first[1]:
            raise ExampleGenError(
                f"{path} has columns {_show(kinds)} but {first[0]} has {_show(first[1])}; all"
                " Parquet files of one ExampleGen must have the same columns and kinds"
            )
        metadata = parquet.metadata
        groups = metadata.num_row_groups
        start, size = 0, 0
        for group in range(groups):
            size += metadata.row_group(group).total_byte_size
            if size >= options.unit_bytes or group == groups - 1:
                end = None if (start == 0 and group == groups - 1) else group + 1
                units.append(
                    WorkUnit(path=path, split=split, start=start, end=end, file_index=file_index)
                )
                start, size = group + 1, 0
        if groups == 0:
            units.append(WorkUnit(path=path, split=split, file_index=file_index))
    return units


def _show(kinds: dict) -> str:
    return "{" + ", ".join(f"{k}: {v.value}" for k, v in kinds.items()) + "}"


def _groups(unit: WorkUnit, parquet: pq.ParquetFile) -> list[int]:
    end = parquet.metadata.num_row_groups if unit.end is None else unit.end
    return list(range(unit.start, end))


def scan(unit: WorkUnit) -> ScanResult:
    parquet = _open(unit.path)
    groups = _groups(unit, parquet)
    rows = sum(parquet.metadata.row_group(g).num_rows for g in groups)
    return ScanResult(unit=unit, types=schema_kinds(parquet.schema_arrow, unit.path), rows=rows)


def read(unit: WorkUnit, options: EngineOptions) -> Iterator[pa.RecordBatch]:
    parquet = _open(unit.path)
    groups = _groups(unit, parquet)
    if not groups:
        return
    for batch in parquet.iter_batches(batch_size=options.batch_rows, row_groups=groups):
        yield normalize(batch, unit.path)
