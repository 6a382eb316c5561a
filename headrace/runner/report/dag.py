"""The run's DAG as inline SVG: nodes in layers by depth, coloured by state, each with its
duration and whether it was a cache hit.

Hand-written rather than Graphviz: Graphviz is a system package (not installed here, nor in the
images), and a pipeline's DAG is small. Layering by longest path from the sources, then ordering
each layer by the mean position of its upstream nodes (one barycentre pass), is the first stage
of what Graphviz's `dot` does, and reads well for a few dozen nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from headrace.runner.report.model import NodeView

WIDTH, HEIGHT = 200, 62  # one node's box
GAP_X, GAP_Y = 26, 54  # between boxes in a layer, between layers
MARGIN = 12
STATE_LABEL = {
    "complete": "executed",
    "cached": "cache hit",
    "resolved": "resolved",
    "failed": "failed",
    "running": "running",
    "canceled": "canceled",
    "not-run": "not run",
}


def depths(nodes: Sequence[NodeView]) -> dict[str, int]:
    """Longest path from a source; a source that feeds only later layers (a Resolver) moves down
    to just above its first consumer, so its edges stay short."""
    ids = {n.id for n in nodes}
    depth: dict[str, int] = {}
    for n in nodes:  # topological order
        ups = [depth[u] for u in n.upstream if u in depth]
        depth[n.id] = 1 + max(ups) if ups else 0
    for n in nodes:
        consumers = [depth[m.id] for m in nodes if n.id in m.upstream and m.id in ids]
        if not any(u in ids for u in n.upstream) and consumers:
            depth[n.id] = max(depth[n.id], min(consumers) - 1)
    return depth


def layout(nodes: Sequence[NodeView]) -> dict[str, tuple[float, float]]:
    """Top-left corner of each node's box; layers top to bottom, each centred."""
    depth = depths(nodes)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in nodes:
        layers[depth[n.id]].append(n.id)
    upstream = {n.id: n.upstream for n in nodes}
    column: dict[str, float] = {}
    for layer in layers:
        # Barycentre: under the mean column of its upstream nodes; ties keep topological order.
        layer.sort(key=lambda i: _mean([column[u] for u in upstream[i] if u in column]))
        for index, node_id in enumerate(layer):
            column[node_id] = index - (len(layer) - 1) / 2
    widest = max((len(layer) for layer in layers), default=1)
    centre = MARGIN + (widest * (WIDTH + GAP_X) - GAP_X) / 2
    return {
        node_id: (
            centre + column[node_id] * (WIDTH + GAP_X) - WIDTH / 2,
            MARGIN + d * (HEIGHT + GAP_Y),
        )
        for node_id, d in depth.items()
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def dag_svg(nodes: Sequence[NodeView]) -> str:
    places = layout(nodes)
    if not places:
        return '<p class="note">This run recorded no nodes.</p>'
    width = max(x for x, _ in places.values()) + WIDTH + MARGIN
    height = max(y for _, y in places.values()) + HEIGHT + MARGIN
    edges = [_edge(n, u, places) for n in nodes for u in n.upstream if u in places]
    boxes = [_node(n, *places[n.id]) for n in nodes]
    return (
        f'<svg id="dag-svg" class="dag" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="pipeline graph" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#7a8591"/>'
        "</marker></defs>" + "".join(edges) + "".join(boxes) + "</svg>"
    )


def _edge(node: NodeView, upstream: str, places: dict[str, tuple[float, float]]) -> str:
    (x1, y1), (x2, y2) = places[upstream], places[node.id]
    x1, y1, x2, y2 = x1 + WIDTH / 2, y1 + HEIGHT, x2 + WIDTH / 2, y2 - 2
    bend = (y2 - y1) / 2
    waiting = " waiting" if node.state == "not-run" else ""
    return (
        f'<path class="edge{waiting}" data-from="{escape(upstream)}" data-to="{escape(node.id)}" '
        f'd="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} '
        f'{x2:.1f},{y2:.1f}" marker-end="url(#arrow)"/>'
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
