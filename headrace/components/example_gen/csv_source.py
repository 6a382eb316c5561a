"""CSV input: the header, work units over byte ranges, the type scan and the typed read.

A unit is read once, with types guessed from its first block; a column read as strings is
typed block by block. When a later value needs a wider type than rows already written got
(an int column meets 2.5), the unit is scanned with every value as a string, which also
names the line of any bad data, and then read again with the scanned types. Units whose
types turn out narrower than the whole input's are converted again by the pipeline.

A file larger than `unit_bytes` is cut into byte ranges at newlines, converted in parallel.
A cut is wrong only if it falls inside a quoted field that spans lines. Each range starts
right after a newline and is parsed as CSV, so if the range before a cut started at a row
boundary, it ends inside such a field exactly when its last row holds a newline (the field
runs on to the cut). By induction from the file's start, all cuts are right when no range
ends that way. A file where one does (or with any error) is converted again as one unit,
which is then the authoritative answer.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.config import CsvFormat, EngineOptions
from headrace.components.example_gen.csv_diagnosis import RangeReader, diagnose
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.units import ScanResult, TypesChanged, WorkUnit

_ARROW_TYPE = {
    ColumnType.UNKNOWN: pa.string(),
    ColumnType.INT: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.STRING: pa.string(),
}


def read_header(path: str, fmt: CsvFormat) -> tuple[str, ...]:
    """The column names of a CSV file, checked to be usable as tf.Example feature names."""
    if os.path.getsize(path) == 0:
        raise ExampleGenError(
            f"{path} is empty: a CSV file needs a header row naming its columns; remove the"
            " file or write the data again"
        )
    with open(path, "rb") as raw:
        # Decode line by line: only the header's own lines must be UTF-8 here (a bad byte
        # further down is reported later, with its line).
        lines = (line.decode("utf-8") for line in raw)
        try:
            header = next(csv.reader(lines, delimiter=fmt.delimiter, quotechar=fmt.quote_char))
        except StopIteration:
            header = []
        except UnicodeDecodeError as exc:
            raise ExampleGenError(
                f"{path}, line 1: the header has bytes that are not UTF-8 ({exc.reason});"
                " re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`"
            ) from None
    if not header or header == [""]:
        raise ExampleGenError(
            f"{path}, line 1: no header row; the first line must name the columns"
        )
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise ExampleGenError(
                f"{path}, line 1: column {position} of the header has no name; name every column"
            )
        if name in seen:
            raise ExampleGenError(
                f"{path}, line 1: column name {name!r} appears twice in the header; feature"
                " names must be unique"
            )
        seen.add(name)
    return tuple(header)


def _cut_points(path: str, size: int, unit_bytes: int) -> list[int]:
    """Offsets just after a newline, about `unit_bytes` apart (never inside the first line)."""
    points: list[int] = []
    with open(path, "rb") as f:
        first_line_end = f.readline().__len__()
        target = unit_bytes
        while target < size:
            f.seek(target)
            while True:
                chunk = f.read(1 << 16)
                if not chunk:
                    return points
                newline = chunk.find(b"\n")
                if newline >= 0:
                    point = f.tell() - len(chunk) + newline + 1
                    break
            if point >= size:
                break
            if point > first_line_end and (not points or point > points[-1]):
                points.append(point)
            target = point + unit_bytes
    return points


def plan(
    inputs: Sequence[tuple[str | None, str]], fmt: CsvFormat, options: EngineOptions
) -> list[WorkUnit]:
    """Work units for (split or None, path) inputs; all files must have the same header."""
    units: list[WorkUnit] = []
    first: tuple[str, tuple[str, ...]] | None = None
    for file_index, (split, path) in enumerate(inputs):
        columns = read_header(path, fmt)
        if first is None:
            first = (path, columns)
        elif columns != first[1]:
            raise ExampleGenError(
                f"{path} has header {list(columns)} but {first[0]} has {list(first[1])};"
                " all CSV files of one ExampleGen must have the same columns in the same order"
            )
        size = os.path.getsize(path)
        starts = [0, *_cut_points(path, size, options.unit_bytes)]
        ends: list[int | None] = [*starts[1:], None]
        for start, end in zip(starts, ends, strict=True):
            units.append(
                WorkUnit(
                    path=path,
                    split=split,
                    start=start,
                    end=end,
                    file_index=file_index,
                    columns=columns,
                )
            )
    return units


def _parse_options(fmt: CsvFormat) -> pcsv.ParseOptions:
    return pcsv.ParseOptions(
        delimiter=fmt.delimiter, quote_char=fmt.quote_char, newlines_in_values=True
    )


def _convert_options(types: dict[str, pa.DataType]) -> pcsv.ConvertOptions:
    return pcsv.ConvertOptions(
        column_types=types,
        null_values=[""],  # only an empty cell is missing: "NA" or "null" are strings
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


def _open(
    unit: WorkUnit, types: dict[str, pa.DataType], fmt: CsvFormat, options: EngineOptions
) -> pcsv.CSVStreamingReader:
    stream = io.BufferedReader(RangeReader(unit.path, unit.start, unit.end), 1 << 20)
    return pcsv.open_csv(
        stream,
        read_options=pcsv.ReadOptions(
            column_names=list(unit.columns),
            skip_rows=1 if unit.start == 0 else 0,
            block_size=options.block_bytes,
        ),
        parse_options=_parse_options(fmt),
        convert_options=_convert_options(types),
    )


def _parses_as(column: pa.Array, kind: pa.DataType) -> bool:
    try:
        pc.cast(column, kind)
        return True
    except pa.ArrowInvalid:
        pass
    # The CSV reader trims spaces around numbers; so must the scan, or the two passes disagree.
    try:
        pc.cast(pc.utf8_trim_whitespace(column), kind)
        return True
    except pa.ArrowInvalid:
        return False


def classify(column: pa.Array, current: ColumnType) -> ColumnType:
    """The smallest type holding `current` and every value of a string column."""
    if current is ColumnType.STRING or column.null_count == len(column):
        return current
    # One value decides cheaply what it rules out: a failed Arrow cast costs milliseconds (it
    # builds an error message), and most columns that are not numbers say so in their first
    # value. Python's parsers accept at least what Arrow's do, so this never rules out too much.
    first = next(v for v in column if v.is_valid).as_py().strip()
    if (current in (ColumnType.UNKNOWN, ColumnType.INT) and _python_parses(first, int)
            and _parses_as(column, pa.int64())):
        return current.join(ColumnType.INT)
    if _python_parses(first, float) and _parses_as(column, pa.float64()):
        return current.join(ColumnType.FLOAT)
    return ColumnType.STRING


def _python_parses(text: str, kind: type) -> bool:
    parsers: list[Callable[[str], object]] = (
        [float] if kind is float else [int, lambda t: int(t, 0)]  # Arrow reads 0x1F too
    )
    for parse in parsers:
        try:
            parse(text)
            return True
        except ValueError:
            pass
    return False


def ends_inside_quotes(unit: WorkUnit, last: pa.RecordBatch | None) -> bool:
    """Whether a unit cut before the end of its file may have cut a quoted multi-line field:
    its last row then holds a newline (the field runs on to the end of the range)."""
    if unit.end is None or last is None or last.num_rows == 0:
        return False
    row = last.slice(last.num_rows - 1, 1)
    return any(
        (value := column[0].as_py()) is not None and ("\n" in value or "\r" in value)
        for column in row.columns
        if pa.types.is_string(column.type)
    )


def scan(unit: WorkUnit, fmt: CsvFormat, options: EngineOptions) -> ScanResult:
    """A string-only pass over a unit: column types and rows, or the error with its line."""
    types = dict.fromkeys(unit.columns, ColumnType.UNKNOWN)
    rows = 0
    try:
        for batch in _open(unit, dict.fromkeys(unit.columns, pa.string()), fmt, options):
            rows += batch.num_rows
            for name, column in zip(unit.columns, batch.columns, strict=True):
                types[name] = classify(column, types[name])
    except pa.ArrowInvalid as exc:
        return ScanResult(unit=unit, error=diagnose(unit, fmt, str(exc)))
    return ScanResult(unit=unit, types=types, rows=rows)


_PROBE_BYTES = 1 << 20


def _probe(unit: WorkUnit, fmt: CsvFormat) -> dict[str, ColumnType]:
    """Types guessed from the unit's first MiB (a wrong guess is caught while reading).

    Parsed from an in-memory buffer on this thread: a streaming reader over a Python file,
    dropped after one batch, would leave read-ahead threads running.
    """
    types = dict.fromkeys(unit.columns, ColumnType.UNKNOWN)
    with open(unit.path, "rb") as f:
        f.seek(unit.start)
        size = _PROBE_BYTES if unit.end is None else min(_PROBE_BYTES, unit.end - unit.start)
        head = f.read(size)
    if len(head) == size and head.rfind(b"\n") > 0:
        head = head[: head.rfind(b"\n") + 1]  # whole lines only
    try:
        first = pcsv.read_csv(
            pa.BufferReader(head),
            read_options=pcsv.ReadOptions(
                column_names=list(unit.columns),
                skip_rows=1 if unit.start == 0 else 0,
                use_threads=False,
            ),
            parse_options=_parse_options(fmt),
            convert_options=_convert_options(dict.fromkeys(unit.columns, pa.string())),
        )
    except pa.ArrowInvalid:
        return types  # e.g. the MiB ends inside a quoted field: guess nothing
    for name, column in zip(unit.columns, first.columns, strict=True):
        types[name] = classify(column.combine_chunks(), types[name])
    return types


def _cast(column: pa.Array, kind: pa.DataType) -> pa.Array:
    try:
        return pc.cast(column, kind)
    except pa.ArrowInvalid:
        return pc.cast(pc.utf8_trim_whitespace(column), kind)


def _read_guessing(
    unit: WorkUnit, fmt: CsvFormat, options: EngineOptions
) -> Iterator[pa.RecordBatch]:
    """One pass with types guessed from the first block; raises TypesChanged when a later
    value needs a wider type than rows already read were given (or on any parse error:
    the scan that follows tells the two apart)."""
    guess = _probe(unit, fmt)
    typed = {n for n, t in guess.items() if t in (ColumnType.INT, ColumnType.FLOAT)}
    # Columns without a value in the first block are read as strings and typed block by block.
    current = dict(guess)
    arrow_types = {n: _ARROW_TYPE[t] if n in typed else pa.string() for n, t in guess.items()}
    try:
        for batch in _open(unit, arrow_types, fmt, options):
            columns = batch.columns
            for i, name in enumerate(unit.columns):
                if name in typed or current[name] is ColumnType.STRING:
                    continue
                kind = classify(columns[i], current[name])
                if kind is not current[name] and current[name] is not ColumnType.UNKNOWN:
                    raise TypesChanged(f"{unit.describe()}: column {name!r} is {kind.value}")
                current[name] = kind
                if kind in (ColumnType.INT, ColumnType.FLOAT):
                    columns[i] = _cast(columns[i], _ARROW_TYPE[kind])
            yield pa.RecordBatch.from_arrays(columns, list(unit.columns))
    except pa.ArrowInvalid as exc:
        raise TypesChanged(f"{unit.describe()}: {exc}") from None


def read(
    unit: WorkUnit, types: dict[str, ColumnType] | None, fmt: CsvFormat, options: EngineOptions
) -> Iterator[pa.RecordBatch]:
    """The unit's rows as batches of int64, float64 and string columns.

    With `types` (from a scan or the plan) the read cannot fail on data the scan accepted;
    without, types are guessed and TypesChanged may interrupt the read.
    """
    if types is None:
        yield from _read_guessing(unit, fmt, options)
        return
    arrow_types = {name: _ARROW_TYPE[types[name]] for name in unit.columns}
    try:
        yield from _open(unit, arrow_types, fmt, options)
    except pa.ArrowInvalid as exc:  # the scan accepted this data, so this is a bug
        raise RuntimeError(f"{unit.describe()}: CSV read failed after the scan: {exc}") from exc
