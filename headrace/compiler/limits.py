"""Measure a compiled workflow against the Kubernetes, Argo and KFP size limits (DESIGN.md) and
fail with the biggest contributors named, before anything reaches a cluster."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headrace.compiler.conventions import TASK_DISPLAY_NAME
from headrace.compiler.status import StatusEstimate
from headrace.compiler.status import estimate as estimate_status
from headrace.errors import DefinitionError

KiB = 1024
MiB = 1024 * KiB
OBJECT_LIMIT = MiB  # Argo's controller refuses workflows (spec + status) over 1 MiB
ANNOTATIONS_LIMIT = 256 * KiB
VALUE_LIMIT = 128 * KiB  # one argv or env string (Linux MAX_ARG_STRLEN; E2BIG)
KFP_PARAMETERS_LIMIT = 10_000  # bytes of JSON of one run's parameters
KFP_UPLOAD_LIMIT = 32 * MiB
_TOP = 5
_PLACEHOLDER = re.compile(r"\{\{([^{}]+)\}\}")
_WORKFLOW_NAME = 63  # what {{workflow.name}} can become


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


@dataclass(frozen=True, kw_only=True)
class _Template:
    size: int  # its JSON, placeholders unexpanded
    placeholders: tuple[tuple[str, int], ...]  # (placeholder, times it occurs)
    values: tuple[tuple[str, int], ...]  # (argument or env, its bytes), largest first


def _template_info(template: dict[str, Any]) -> _Template:
    text = json.dumps(template, separators=(",", ":"), ensure_ascii=False)
    counts: dict[str, int] = {}
    for match in _PLACEHOLDER.finditer(text):
        counts[match.group(1).strip()] = counts.get(match.group(1).strip(), 0) + 1
    container = template.get("container", {})
    values = [(f"argument {a[:40]}...", _size(a)) for a in container.get("args", [])]
    values += [(f"env {e['name']}", _size(e.get("value", ""))) for e in container.get("env", [])]
    return _Template(size=len(text.encode()), placeholders=tuple(counts.items()),
                     values=tuple(sorted(values, key=lambda kv: -kv[1])))


def pod_payloads(doc: dict[str, Any]) -> list[tuple[str, int]]:
    """Per DAG task, the bytes Argo hands its pod as the env value ARGO_TEMPLATE: the task's
    template with every `{{workflow.*}}` and `{{inputs.*}}` reference expanded (JSON-escaped,
    as Go writes it) and the task's arguments filled into `inputs`."""
    meta, spec = doc["metadata"], doc["spec"]
    known = {f"workflow.annotations.{k}": _go_escaped(v)
             for k, v in meta.get("annotations", {}).items()}
    known.update({f"workflow.labels.{k}": _go_escaped(v)
                  for k, v in meta.get("labels", {}).items()})
    known.update({f"workflow.parameters.{p['name']}": _go_escaped(p.get("value", ""))
                  for p in spec.get("arguments", {}).get("parameters", [])})
    known["workflow.name"] = _WORKFLOW_NAME
    infos = {t["name"]: _template_info(t) for t in spec["templates"] if "dag" not in t}
    payloads = []
    for dag in (t for t in spec["templates"] if "dag" in t):
        for task in dag["dag"]["tasks"]:
            info = infos.get(task["template"])
            if info is None:
                continue
            given = {f"inputs.parameters.{p['name']}": _go_escaped(str(p.get("value", "")))
                     for p in task.get("arguments", {}).get("parameters", [])}
            size = info.size
            for placeholder, times in info.placeholders:
                value = given.get(placeholder, known.get(placeholder, len(placeholder) + 4))
                size += times * (value - len(placeholder) - 4)
            # Argo also writes each argument's value into the template's `inputs`.
            size += sum(v + len(',"value":""') for v in given.values())
            payloads.append((task["name"], size))
    return payloads


def measure(
    doc: dict[str, Any], yaml_bytes: int, status: StatusEstimate | None = None
) -> list[Measure]:
    """Each limit's size; contributors are worked out only for a limit that is exceeded.
    `status`: the doc's status estimate, if already made."""
    templates = doc["spec"]["templates"]
    annotations = doc["metadata"].get("annotations", {})
    spec_size = _size(doc)
    status = status or estimate_status(doc)
    # Argo keeps `status.nodes` as JSON until the object would pass 1 MiB, then compresses them.
    status_size = status.raw if spec_size + status.raw <= OBJECT_LIMIT else status.compressed
    tasks = {t["name"]: t for tmpl in templates if "dag" in tmpl for t in tmpl["dag"]["tasks"]}

    def per_template() -> list[tuple[str, int]]:
        return [(f"template {t['name']}{_node_of(t)}", _size(t)) for t in templates]

    measures = [
        _measure(
            "workflow object (spec + the status Argo adds while it runs)",
            spec_size + status_size, OBJECT_LIMIT,
            lambda: [*per_template(),
                     (f"run status of {len(tasks)} tasks (estimated, "
                      f"{'compressed' if status_size != status.raw else 'as JSON'})", status_size)],
        ),
        _measure(
            "annotations of the workflow",
            sum(_size(k) + _size(v) for k, v in annotations.items()), ANNOTATIONS_LIMIT,
            lambda: [(f"annotation {k}", _size(v)) for k, v in annotations.items()],
        ),
    ]
    payloads = pod_payloads(doc)

    def value_contributors() -> list[tuple[str, int]]:
        found = [(f"ARGO_TEMPLATE of step {name}", size) for name, size in payloads]
        for name, _ in _top(payloads):
            for p in tasks[name].get("arguments", {}).get("parameters", []):
                found += [(f"argument {p['name']} of task {name}{_biggest(p)}", _size(p["value"]))]
        found += [(f"{label} of template {t['name']}", size) for t in templates
                  if "container" in t for label, size in _template_info(t).values[:2]]
        return found

    largest = max((size for _, size in payloads), default=0)
    measures.append(_measure(
        "largest per-step payload (ARGO_TEMPLATE, expanded: the largest env value of a pod)",
        largest, VALUE_LIMIT, value_contributors,
    ))
    parameters = doc["spec"].get("arguments", {}).get("parameters", [])
    kfp_params = [{"name": p["name"], "value": p.get("value", "")} for p in parameters]
    measures.append(_measure(
        "KFP run parameters (JSON)", _size(kfp_params), KFP_PARAMETERS_LIMIT,
        lambda: [(f"parameter {p['name']}", _size(p)) for p in kfp_params],
    ))
    measures.append(_measure("KFP upload file", yaml_bytes, KFP_UPLOAD_LIMIT, lambda: []))
    return measures


def _biggest(argument: dict[str, Any]) -> str:
    """`, mostly parameter 'x' (2.0 MiB)` when one node parameter makes up most of a node
    instance: usually an inlined config or data, to move to a file under the pipeline root."""
    try:
        instance = json.loads(argument["value"])
        parameters = instance.get("parameters", {})
    except (ValueError, AttributeError):
        return ""
    if not parameters:
        return ""
    name, value = max(parameters.items(), key=lambda kv: _size(kv[1]))
    if _size(value) <= _size(argument["value"]) // 2:
        return ""
    return f" (node {instance.get('id')!r}), mostly parameter {name!r} ({_human(_size(value))})"


def _measure(what: str, size: int, limit: int,
             contributors: Callable[[], list[tuple[str, int]]]) -> Measure:
    return Measure(what=what, size=size, limit=limit,
                   contributors=_top(contributors()) if size > limit else ())


def _node_of(template: dict[str, Any]) -> str:
    node = template.get("metadata", {}).get("annotations", {}).get(TASK_DISPLAY_NAME)
    return f" (node {node!r})" if node else ""


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
