"""Finding the exact line of a CSV problem that pyarrow reported without one.

pyarrow's streaming reader says what is wrong but not where (with quoted newlines it cannot
count lines). This slow path runs only after a failure and re-reads the byte range with
Python's csv module to name the line and suggest the fix.
"""

from __future__ import annotations

import csv
import io

from headrace.components.example_gen.config import CsvFormat
from headrace.components.example_gen.units import WorkUnit


class RangeReader(io.RawIOBase):
    """A read-only binary stream over bytes [start, end) of a file."""

    def __init__(self, path: str, start: int, end: int | None) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._file.seek(start)
        self._left = end - start if end is not None else None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        view = memoryview(buffer)
        if self._left is not None:
            view = view[: self._left]
        got = self._file.readinto(view)
        if self._left is not None:
            self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def _line_of(path: str, offset: int) -> int:
    """1-based line number of byte `offset` (which starts a line)."""
    count = 1
    with open(path, "rb") as f:
        left = offset
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            left -= len(chunk)
    return count


def _utf8_problem(unit: WorkUnit, first_line: int) -> str | None:
    with RangeReader(unit.path, unit.start, unit.end) as raw:
        for number, line in enumerate(io.BufferedReader(raw), start=first_line):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return (
                    f"{unit.path}, line {number}: bytes that are not UTF-8 ({exc.reason} at"
                    f" byte {exc.start + 1} of the line: {line[exc.start : exc.start + 4]!r});"
                    " re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`"
                )
    return None


def _field_count_problem(unit: WorkUnit, fmt: CsvFormat, first_line: int) -> str | None:
    expected = len(unit.columns)
    with RangeReader(unit.path, unit.start, unit.end) as raw:
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", newline="")
        reader = csv.reader(text, delimiter=fmt.delimiter, quotechar=fmt.quote_char, strict=False)
        skip_header = unit.start == 0
        while True:
            start_line = first_line + reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                return f"{unit.path}, line {start_line}: {exc}; fix the quoting of this row"
            if skip_header:
                skip_header = False
                continue
            if not row or (row == [""] and expected != 1):
                continue  # a blank line: ignored by the reader too
            if len(row) != expected:
                return (
                    f"{unit.path}, line {start_line}: the row has {len(row)} fields but the"
                    f" header has {expected}; fix the row, or quote fields that contain"
                    f" {fmt.delimiter!r} with {fmt.quote_char!r}"
                )


def diagnose(unit: WorkUnit, fmt: CsvFormat, arrow_message: str) -> str:
    """A message naming the file, the line and the fix for a unit pyarrow could not read."""
    first_line = _line_of(unit.path, unit.start)
    problem = _utf8_problem(unit, first_line) or _field_count_problem(unit, fmt, first_line)
    if problem:
        return problem
    return (
        f"{unit.describe()}: cannot read the CSV data ({arrow_message}); check the delimiter"
        f" {fmt.delimiter!r}, the quote character {fmt.quote_char!r} and the encoding (UTF-8)"
    )
