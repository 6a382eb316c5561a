"""The hook for a custom ExampleGen: a user function turns one input file into rows.

`read_fn(path)` yields `pyarrow.RecordBatch`es or dicts (column name -> value or list of
values; a missing key or None is a missing value). It runs inside Beam workers, so it must be
a module-level function (picklable). Columns must keep one kind (int, float or bytes) across
the whole input: a column that is int in one place and float in another is an error, since
the examples would disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from headrace.components.example_gen.arrow_columns import normalize
from headrace.components.example_gen.config import EngineOptions, ReadFn
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.units import WorkUnit

Row = Mapping[str, Any]


def plan(inputs: Sequence[tuple[str | None, str]]) -> list[WorkUnit]:
    return [
        WorkUnit(path=path, split=split, file_index=i) for i, (split, path) in enumerate(inputs)
    ]


def _rows_to_batch(rows: list[Row], where: str) -> pa.RecordBatch:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = []
    for name in names:
        try:
            columns.append(pa.array([row.get(name) for row in rows]))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ExampleGenError(
                f"{where}: column {name!r} mixes values of different kinds ({exc}); yield one"
                " kind per column (int, float or str/bytes, or lists of one of them)"
            ) from None
    return pa.RecordBatch.from_arrays(columns, list(names))


def read(unit: WorkUnit, read_fn: ReadFn, options: EngineOptions) -> Iterator[pa.RecordBatch]:
    where = f"{unit.path} (custom reader {getattr(read_fn, '__name__', read_fn)!r})"
    rows: list[Row] = []
    for item in read_fn(unit.path):
        if isinstance(item, pa.RecordBatch):
            if rows:
                yield normalize(_rows_to_batch(rows, where), where)
                rows = []
            yield normalize(item, where)
        elif isinstance(item, Mapping):
            rows.append(item)
            if len(rows) >= options.batch_rows:
                yield normalize(_rows_to_batch(rows, where), where)
                rows = []
        else:
            raise ExampleGenError(
                f"{where}: the reader yielded a {type(item).__name__}; yield pyarrow"
                " RecordBatches or dicts of column name to value"
            )
    if rows:
        yield normalize(_rows_to_batch(rows, where), where)
