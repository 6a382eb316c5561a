"""The run's DAG as inline SVG (placed by `layout`): nodes coloured by state, each with its
duration and whether it was a cache hit, and a link to its row in the node table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from headrace.runner.report.layout import GAP_Y, HEIGHT, WIDTH, layer_top, layout
from headrace.runner.report.model import NodeView

STATE_LABEL = {
    "complete": "executed",
    "cached": "cache hit",
    "resolved": "resolved",
    "failed": "failed",
    "running": "running",
    "canceled": "canceled",
    "not-run": "not run",
}


def dag_svg(nodes: Sequence[NodeView]) -> str:
    if not nodes:
        return '<p class="note">This run recorded no nodes.</p>'
    placed = layout({n.id: n.upstream for n in nodes})
    edges = [
        _edge(n, u, placed.boxes, placed.routes.get((u, n.id), ()))
        for n in nodes
        for u in n.upstream
        if u in placed.boxes
    ]
    boxes = [_node(n, *placed.boxes[n.id]) for n in nodes]
    width, height = f"{placed.width:.0f}", f"{placed.height:.0f}"
    return (
        f'<svg id="dag-svg" class="dag" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="pipeline graph" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#7a8591"/>'
        "</marker></defs>" + "".join(edges) + "".join(boxes) + "</svg>"
    )


def _edge(
    node: NodeView,
    upstream: str,
    boxes: dict[str, tuple[float, float]],
    route: tuple[float, ...],
) -> str:
    """A curve from the upstream box's bottom to the node's top, straight down through each
    layer it crosses (at the x the layout kept free for it)."""
    (x1, y1), (x2, y2) = boxes[upstream], boxes[node.id]
    x, y = x1 + WIDTH / 2, y1 + HEIGHT
    d = f"M{x:.1f},{y:.1f}"
    first = round((y1 - layer_top(0)) / (HEIGHT + GAP_Y)) + 1
    for k, lane in enumerate(route):
        top = layer_top(first + k)
        d += f" C{x:.1f},{y + GAP_Y / 2:.1f} {lane:.1f},{top - GAP_Y / 2:.1f} {lane:.1f},{top:.1f}"
        x, y = lane, top + HEIGHT
        d += f" L{x:.1f},{y:.1f}"
    end_x, end_y = x2 + WIDTH / 2, y2 - 2
    d += f" C{x:.1f},{y + GAP_Y / 2:.1f} {end_x:.1f},{end_y - GAP_Y / 2:.1f}"
    d += f" {end_x:.1f},{end_y:.1f}"
    waiting = " waiting" if node.state == "not-run" else ""
    return (
        f'<path class="edge{waiting}" data-from="{escape(upstream)}" data-to="{escape(node.id)}" '
        f'd="{d}" marker-end="url(#arrow)"/>'
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s"


def _node(n: NodeView, x: float, y: float) -> str:
    name = n.id if len(n.id) <= 26 else n.id[:25] + "…"
    detail = STATE_LABEL.get(n.state, n.state)
    if n.execution is not None:
        detail += f" · {duration(n.seconds)}"
    attempts = f" · attempt {len(n.earlier) + 1}" if n.earlier else ""
    hint = f"{n.id} ({n.component}): {n.outcome}"
    if n.error_line:
        hint += f"\n{n.error_line}"
    seconds = "" if n.seconds is None else f' data-seconds="{n.seconds:.3f}"'
    return (
        f'<a href="#row-{escape(n.id)}"><g class="node state-{n.state}" data-node="{escape(n.id)}" '
        f'data-state="{n.state}" data-cache-hit="{str(n.cache_hit).lower()}"{seconds} '
        f'transform="translate({x:.1f},{y:.1f})"><title>{escape(hint)}</title>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" rx="7"/>'
        f'<text class="name" x="10" y="20">{escape(name)}</text>'
        f'<text class="component" x="10" y="36">{escape(n.component[:30])}</text>'
        f'<text class="detail" x="10" y="53">{escape(detail + attempts)}</text></g></a>'
    )
