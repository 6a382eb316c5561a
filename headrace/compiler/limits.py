"""Measure a compiled workflow against the Kubernetes, Argo and KFP size limits (DESIGN.md) and
fail with the biggest contributors named, before anything reaches a cluster."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headrace.compiler.conventions import TASK_DISPLAY_NAME
from headrace.compiler.step import IR_ENV, IR_REFERENCE
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR

KiB = 1024
MiB = 1024 * KiB
OBJECT_LIMIT = MiB  # Argo's controller refuses workflows (spec + status) over 1 MiB
ANNOTATIONS_LIMIT = 256 * KiB
VALUE_LIMIT = 128 * KiB  # one argv or env string (Linux MAX_ARG_STRLEN; E2BIG)
KFP_PARAMETERS_LIMIT = 10_000  # bytes of JSON of one run's parameters
KFP_UPLOAD_LIMIT = 32 * MiB
# While a workflow runs, Argo adds a status entry per step (phase, times, outputs, children) to
# the same object; about this much each, so the spec must leave that room under 1 MiB.
STATUS_BYTES_PER_STEP = 600
_TOP = 5


class WorkflowTooLarge(DefinitionError):
    """The compiled workflow would break a Kubernetes/Argo/KFP size limit."""


@dataclass(frozen=True, kw_only=True)
class Measure:
    """One limit: the measured size and who contributes most to it."""

    what: str
    size: int
    limit: int
    contributors: tuple[tuple[str, int], ...]

    @property
    def exceeded(self) -> bool:
        return self.size > self.limit


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _top(items: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(items, key=lambda kv: (-kv[1], kv[0]))[:_TOP])


def _go_escaped(text: str) -> int:
    # Bytes of `text` inside a JSON string as Go writes it (Argo's ARGO_TEMPLATE): quotes and
    # backslashes escaped, and <, >, & as \u003c-style escapes.
    extra = sum(text.count(c) for c in '"\\') + 5 * sum(text.count(c) for c in "<>&")
    return len(text.encode()) + extra


def measure(doc: dict[str, Any], ir: PipelineIR, ir_json: str, yaml_bytes: int) -> list[Measure]:
    """Each limit's size; contributors are worked out only for a limit that is exceeded."""
    templates = doc["spec"]["templates"]
    annotations = doc["metadata"]["annotations"]
    template_sizes = [(t, _size(t)) for t in templates]
    ir_size = _size(ir_json)
    status = (len(templates) - 1) * STATUS_BYTES_PER_STEP
    ir_parts: list[tuple[str, int]] = []

    def ir_nodes() -> list[tuple[str, int]]:
        if not ir_parts:
            ir_parts.extend(_ir_contributors(ir))
        return ir_parts

    def per_template() -> list[tuple[str, int]]:
        return [(f"template {t['name']}{_node_of(t)}", size) for t, size in template_sizes]

    measures = [
        _measure(
            "workflow object (spec + the status Argo adds while it runs)",
            _size(doc) + status, OBJECT_LIMIT,
            lambda: [*per_template(), ("the pipeline IR (annotation)", ir_size),
                     (f"run status, about {STATUS_BYTES_PER_STEP} B per step", status)],
        ),
        _measure(
            "annotations of the workflow",
            sum(_size(k) + _size(v) for k, v in annotations.items()), ANNOTATIONS_LIMIT,
            lambda: [(f"annotation {k}", _size(v)) for k, v in annotations.items()] + ir_nodes(),
        ),
    ]
    # Each pod gets the IR as an env value, and Argo's executor gets the whole substituted
    # template (IR included) as one env value, ARGO_TEMPLATE: both must stay under 128 KiB.
    escaped_ir = _go_escaped(ir_json) - len(IR_REFERENCE)
    values = [(f"env {IR_ENV} of every step (the pipeline IR)", ir_size)]
    for t, size in template_sizes[1:]:
        values.append((f"ARGO_TEMPLATE of step {t['name']}", size + escaped_ir))
        values += [(f"argument {arg[:40]}... of step {t['name']}", _size(arg))
                   for arg in t["container"].get("args", [])]
    measures.append(_measure(
        "largest single argument or env value of a step",
        max(size for _, size in values), VALUE_LIMIT, lambda: values + ir_nodes(),
    ))
    parameters = doc["spec"].get("arguments", {}).get("parameters", [])
    kfp_params = [{"name": p["name"], "value": p["value"]} for p in parameters]
    measures.append(_measure(
        "KFP run parameters (JSON)", _size(kfp_params), KFP_PARAMETERS_LIMIT,
        lambda: [(f"parameter {p['name']}", _size(p)) for p in kfp_params],
    ))
    measures.append(_measure("KFP upload file", yaml_bytes, KFP_UPLOAD_LIMIT, lambda: []))
    return measures


def _measure(what: str, size: int, limit: int,
             contributors: Callable[[], list[tuple[str, int]]]) -> Measure:
    return Measure(what=what, size=size, limit=limit,
                   contributors=_top(contributors()) if size > limit else ())


def _node_of(template: dict[str, Any]) -> str:
    node = template.get("metadata", {}).get("annotations", {}).get(TASK_DISPLAY_NAME)
    return f" (node {node!r})" if node else ""


def _ir_contributors(ir: PipelineIR) -> list[tuple[str, int]]:
    """The IR's nodes by size, each with its biggest parameter: usually a huge parameter value
    (an inlined config or data) is what to move to a file under the pipeline root."""
    from headrace.ir.codec import to_jsonable

    items = []
    for node in ir.nodes:
        size = _size(to_jsonable(node))
        biggest = max(node.parameters, key=lambda p: _size(p.value), default=None)
        detail = ""
        if biggest is not None and _size(biggest.value) > size // 2:
            detail = f", mostly parameter {biggest.name!r} ({_human(_size(biggest.value))})"
        items.append((f"IR of node {node.id!r}{detail}", size))
    return items


def check(measures: list[Measure]) -> None:
    """Raise WorkflowTooLarge naming every exceeded limit and its biggest contributors."""
    broken = [m for m in measures if m.exceeded]
    if not broken:
        return
    lines = ["The compiled workflow is too large for the cluster:"]
    for m in broken:
        lines.append(f"- {m.what}: {_human(m.size)} > {_human(m.limit)}; largest contributors:")
        lines += [f"    {_human(size):>10}  {label}" for label, size in m.contributors]
    lines.append(
        "Shrink the largest contributors (move big parameter values into files under the "
        "pipeline root), split the pipeline, or compile with enforce_limits=False "
        "(--no-limit-check) if your cluster allows more."
    )
    raise WorkflowTooLarge("\n".join(lines))


def _human(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:.2f} MiB"
    if size >= KiB:
        return f"{size / KiB:.1f} KiB"
    return f"{size} B"
