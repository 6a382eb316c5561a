"""Resolving input patterns to files, with TFX span, version and date placeholders.

`{SPAN}`, `{VERSION}` (optionally `{SPAN:4}` for a fixed width) and the date trio `{YYYY}`,
`{MM}`, `{DD}` stand for numbers in file or directory names. A date is span number
`days since 1970-01-01`, as in TFX. By default the latest span is read, and within it the
latest version; a `SpanRange` reads every span present in an inclusive range instead.
"""

from __future__ import annotations

import datetime
import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from headrace.components.example_gen.config import SpanRange
from headrace.components.example_gen.errors import ExampleGenError

_PLACEHOLDER = re.compile(r"\{(SPAN|VERSION|YYYY|MM|DD)(?::(\d+))?\}")
_DATE_WIDTH = {"YYYY": 4, "MM": 2, "DD": 2}
_EPOCH = datetime.date(1970, 1, 1)


@dataclass(frozen=True, kw_only=True)
class ResolvedInput:
    """The files selected by one pattern and the span/version they belong to."""

    pattern: str
    files: tuple[str, ...]
    span: int
    version: int | None
    spans: tuple[tuple[int, int | None], ...]  # every (span, version) read, ascending


def date_to_span(year: int, month: int, day: int) -> int:
    """The span number of a date: days since 1970-01-01 (TFX convention)."""
    return (datetime.date(year, month, day) - _EPOCH).days


def span_to_date(span: int) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=span)


def _glob_files(pattern: str) -> list[str]:
    return sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))


def _glob_to_regex(text: str) -> str:
    # Only the wildcards that may surround placeholders; a `[...]` class is kept as is.
    out = []
    for char in text:
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _parse_placeholders(pattern: str) -> list[re.Match[str]]:
    found = list(_PLACEHOLDER.finditer(pattern))
    names = [m.group(1) for m in found]
    for name in set(names):
        if names.count(name) > 1:
            raise ExampleGenError(f"pattern {pattern!r} has {{{name}}} more than once")
    date_parts = {"YYYY", "MM", "DD"} & set(names)
    if date_parts and len(date_parts) != 3:
        raise ExampleGenError(
            f"pattern {pattern!r} has only some of {{YYYY}}, {{MM}}, {{DD}}: use all three"
        )
    if date_parts and "SPAN" in names:
        raise ExampleGenError(
            f"pattern {pattern!r} has both {{SPAN}} and a date: a date already is the span"
        )
    if "VERSION" in names and not ("SPAN" in names or date_parts):
        raise ExampleGenError(
            f"pattern {pattern!r} has {{VERSION}} without {{SPAN}} or a date: versions"
            " number the re-writes of one span"
        )
    return found


def _span_of(match: re.Match[str], has_date: bool) -> int:
    if not has_date:
        return int(match.group("SPAN"))
    try:
        return date_to_span(
            int(match.group("YYYY")), int(match.group("MM")), int(match.group("DD"))
        )
    except ValueError as exc:  # e.g. month 13: the file does not hold a date
        raise ExampleGenError(f"file {match.string!r} does not name a valid date: {exc}") from None


def resolve(pattern: str, span_range: SpanRange | None = None) -> ResolvedInput:
    """The files to read for one pattern; raises ExampleGenError when nothing matches."""
    found = _parse_placeholders(pattern)
    if not found:
        if span_range is not None:
            raise ExampleGenError(
                f"a span range was given but pattern {pattern!r} has no {{SPAN}} or date"
            )
        files = _glob_files(pattern)
        if not files:
            raise _no_match(pattern)
        return ResolvedInput(pattern=pattern, files=tuple(files), span=0, version=None, spans=())

    names = {m.group(1) for m in found}
    has_date = "YYYY" in names
    has_version = "VERSION" in names
    glob_parts, regex_parts, last = [], [], 0
    for m in found:
        glob_parts.append(pattern[last : m.start()])
        regex_parts.append(_glob_to_regex(pattern[last : m.start()]))
        width = int(m.group(2)) if m.group(2) else _DATE_WIDTH.get(m.group(1))
        glob_parts.append("?" * width if width else "*")
        digits = rf"\d{{{width}}}" if width else r"\d+"
        regex_parts.append(f"(?P<{m.group(1)}>{digits})")
        last = m.end()
    glob_parts.append(pattern[last:])
    regex_parts.append(_glob_to_regex(pattern[last:]))
    regex = re.compile("".join(regex_parts))

    by_span: dict[int, dict[int | None, list[str]]] = {}
    for path in _glob_files("".join(glob_parts)):
        matched = regex.fullmatch(path)
        if matched is None:
            continue
        span = _span_of(matched, has_date)
        version = int(matched.group("VERSION")) if has_version else None
        by_span.setdefault(span, {}).setdefault(version, []).append(path)
    if not by_span:
        raise _no_match(pattern)

    if span_range is None:
        chosen = [max(by_span)]
    else:
        chosen = sorted(s for s in by_span if span_range.start <= s <= span_range.end)
        if not chosen:
            raise ExampleGenError(
                f"pattern {pattern!r} has no span in {span_range.start}..{span_range.end};"
                f" spans present: {_describe_spans(sorted(by_span), has_date)}"
            )
    selected: list[str] = []
    spans: list[tuple[int, int | None]] = []
    for span in chosen:
        versions = by_span[span]
        version = max(versions, key=lambda v: -1 if v is None else v)
        selected.extend(sorted(versions[version]))
        spans.append((span, version))
    return ResolvedInput(
        pattern=pattern,
        files=tuple(selected),
        span=spans[-1][0],
        version=spans[-1][1],
        spans=tuple(spans),
    )


def resolve_all(
    patterns: Sequence[str], span_range: SpanRange | None = None
) -> list[ResolvedInput]:
    """Resolve several patterns (one per input split); they must agree on span and version."""
    resolved = [resolve(p, span_range) for p in patterns]
    first = resolved[0]
    for other in resolved[1:]:
        if (other.span, other.version, other.spans) != (first.span, first.version, first.spans):
            raise ExampleGenError(
                f"input splits disagree on span/version: {first.pattern!r} resolves to"
                f" span {first.span} version {first.version}, {other.pattern!r} to span"
                f" {other.span} version {other.version}; every split must have the same span"
            )
    return resolved


def _describe_spans(spans: list[int], has_date: bool) -> str:
    shown = [f"{s} ({span_to_date(s)})" if has_date else str(s) for s in spans[:10]]
    return ", ".join(shown) + (" ..." if len(spans) > 10 else "")


def _no_match(pattern: str) -> ExampleGenError:
    return ExampleGenError(
        f"input pattern {pattern!r} matches no file: check the path (it is a glob, with"
        " {SPAN}/{VERSION}/{YYYY}/{MM}/{DD} placeholders) and that the data exists"
    )
