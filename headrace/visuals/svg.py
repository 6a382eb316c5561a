"""Small inline-SVG charts (no scripts, no fetches): histograms and horizontal bar charts."""

from __future__ import annotations

from collections.abc import Sequence

from headrace.visuals.markup import esc, number

_BAR = "#4a78b5"


def histogram(
    buckets: Sequence[tuple[float, float, float]], *, width: int = 160, height: int = 36
) -> str:
    """An SVG histogram of (low, high, count) buckets; a bar's tooltip gives its range and count."""
    if not buckets:
        return ""
    top = max(count for _, _, count in buckets) or 1
    step = width / len(buckets)
    bars = []
    for i, (low, high, count) in enumerate(buckets):
        h = max(0.0, height * count / top)
        tip = f"{number(low)} \u2013 {number(high)}: {number(count)}"
        bars.append(
            f'<rect x="{i * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{_BAR}"><title>{esc(tip)}</title></rect>'
        )
    return (
        f'<svg class="hist" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="histogram">{"".join(bars)}</svg>'
    )


def bars(
    values: Sequence[tuple[str, float]],
    *,
    width: int = 420,
    bar_height: int = 16,
    label_width: int = 160,
) -> str:
    """A horizontal bar chart of (label, value); scaled to the largest |value| (or to 1 when all
    values lie in [0, 1], as most model metrics do, so bars compare across charts)."""
    if not values:
        return ""
    biggest = max(abs(v) for _, v in values)
    scale = 1.0 if all(0 <= v <= 1 for _, v in values) else (biggest or 1.0)
    plot = width - label_width - 60
    rows = []
    for i, (label, value) in enumerate(values):
        y = i * (bar_height + 4)
        w = max(0.0, plot * abs(value) / scale)
        shown = label if len(label) <= 26 else label[:25] + "…"
        rows.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 4}" text-anchor="end">{esc(shown)}'
            f"<title>{esc(label)}</title></text>"
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" '
            f'fill="{_BAR}"><title>{esc(label)}: {esc(number(value))}</title></rect>'
            f'<text x="{label_width + w + 4:.1f}" y="{y + bar_height - 4}">'
            f"{esc(number(value))}</text>"
        )
    height = len(values) * (bar_height + 4)
    return (
        f'<svg class="bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="bar chart">{"".join(rows)}</svg>'
    )
