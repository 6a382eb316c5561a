"""HTML building blocks of the artifact views: escaping, tables, notes, numbers and byte sizes.

Everything that comes from data (names, values, descriptions, paths) goes through `esc`; the
helpers take cells that are already HTML, so callers escape exactly once, where data enters.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence


def esc(value: object) -> str:
    """`value` as HTML text (quotes too, so it is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def note(text: str, *, kind: str = "note") -> str:
    """A visible note (`kind` note | warn | bad | good) with `text` escaped."""
    return f'<p class="{kind}">{esc(text)}</p>'


def section(title: str, body: str, *, level: int = 3) -> str:
    return f"<section><h{level}>{esc(title)}</h{level}>{body}</section>"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = ()
) -> str:
    """A table; `headers` are text (escaped here), `rows` hold HTML cells (escaped by the caller).
    Columns in `numeric` are right-aligned."""
    right = set(numeric)
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in right else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in right else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table of (name, HTML value) pairs; names are escaped here."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def number(value: float | int) -> str:
    """A number as a person reads it: integers with separators, floats to 4 significant digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def size(n_bytes: int) -> str:
    """A byte count as B, KiB, MiB or GiB."""
    amount = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{n_bytes} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{n_bytes} B"


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "\u2013"
