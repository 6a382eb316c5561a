"""Where the boxes and edges of a run's DAG go: layers by depth top to bottom, edges that skip
layers routed through gaps in the layers they cross, each layer ordered to keep edges short.

Hand-written rather than Graphviz: Graphviz is a system package (not installed here, nor in the
images), and a pipeline's DAG is small. This is the skeleton of Sugiyama's method that Graphviz's
`dot` implements: longest-path layering, a dummy point per crossed layer for long edges,
barycentre ordering sweeps (down, up, down), then each point placed under the mean of its
upstream points with overlaps pushed apart. It reads well for a few dozen nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

WIDTH, HEIGHT = 200, 62  # one node's box
GAP_X, GAP_Y = 26, 54  # between boxes in a layer, between layers
LANE = 12  # the width an edge crossing a layer takes in it
MARGIN = 12

Item = str | tuple[str, str, int]  # a node id, or (upstream, node, layer): an edge crossing a layer


@dataclass(frozen=True, kw_only=True)
class Layout:
    boxes: dict[str, tuple[float, float]]  # node id -> top-left corner of its box
    routes: dict[tuple[str, str], tuple[float, ...]]  # edge -> its x in each layer it crosses
    width: float
    height: float


def layer_top(depth: int) -> float:
    return MARGIN + depth * (HEIGHT + GAP_Y)


def depths(upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Longest path from a source (`upstream` in topological order); a source that feeds only
    later layers (a Resolver) moves down to just above its first consumer."""
    depth: dict[str, int] = {}
    for node, ups in upstream.items():
        depth[node] = 1 + max((depth[u] for u in ups if u in depth), default=-1)
    for node, ups in upstream.items():
        consumers = [depth[m] for m, its in upstream.items() if node in its]
        if not ups and consumers:
            depth[node] = max(depth[node], min(consumers) - 1)
    return depth


def layout(upstream: Mapping[str, Sequence[str]]) -> Layout:
    """`upstream`: each node's upstream nodes, the nodes in topological order."""
    depth = depths(upstream)
    layers: list[list[Item]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    ups: dict[Item, list[Item]] = defaultdict(list)
    downs: dict[Item, list[Item]] = defaultdict(list)
    for node in upstream:
        layers[depth[node]].append(node)
    for node, sources in upstream.items():
        for source in (s for s in sources if s in depth):
            crossings = [(source, node, d) for d in range(depth[source] + 1, depth[node])]
            for crossing in crossings:
                layers[crossing[2]].append(crossing)
            chain: list[Item] = [source, *crossings, node]
            for above, below in pairwise(chain):
                ups[below].append(above)
                downs[above].append(below)

    x: dict[Item, float] = {}
    for layer in layers:
        _place(layer, {i: 0.0 for i in layer}, x)
    # Barycentre sweeps: order each layer by the mean x of its neighbours in the layer before.
    for order, near in ((layers, ups), (layers[::-1], downs), (layers, ups)):
        for layer in order:
            keys = {i: _mean([x[j] for j in near[i]], x[i]) for i in layer}
            layer.sort(key=keys.__getitem__)
            _place(layer, {i: 0.0 for i in layer}, x)
    # Coordinates: under the mean of the upstream points (sources over their consumers).
    for layer in layers:
        wanted = {i: _mean([x[j] for j in ups[i]] or [x[j] for j in downs[i]], x[i]) for i in layer}
        _place(layer, wanted, x)

    left = min((x[i] - _width(i) / 2 for i in x), default=0.0)
    shift = MARGIN - left
    boxes = {n: (x[n] + shift - WIDTH / 2, layer_top(depth[n])) for n in upstream}
    routes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for layer in layers:
        for item in layer:
            if isinstance(item, tuple):
                routes[(item[0], item[1])].append(x[item] + shift)
    right = max((x[i] + shift + _width(i) / 2 for i in x), default=0.0)
    return Layout(
        boxes=boxes,
        routes={edge: tuple(xs) for edge, xs in routes.items()},
        width=right + MARGIN,
        height=layer_top(len(layers)) - GAP_Y + MARGIN,
    )


def _width(item: Item) -> float:
    return WIDTH if isinstance(item, str) else LANE


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _place(layer: list[Item], wanted: Mapping[Item, float], x: dict[Item, float]) -> None:
    """Put the layer's points in their order as near their wanted x as they fit: left to right,
    each pushed right of the one before, then all shifted back by the mean push."""
    placed: list[float] = []
    for index, item in enumerate(layer):
        at = wanted[item]
        if index:
            before = layer[index - 1]
            at = max(at, placed[-1] + (_width(before) + _width(item)) / 2 + _gap(before, item))
        placed.append(at)
    back = _mean([placed[k] - wanted[i] for k, i in enumerate(layer)], 0.0)
    for k, item in enumerate(layer):
        x[item] = placed[k] - back


def _gap(a: Item, b: Item) -> float:
    return GAP_X if isinstance(a, str) and isinstance(b, str) else GAP_X / 2
