"""A node's `Resources` as a container's requests and limits, GPUs, node selector, tolerations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headrace.compiler.quantity import parse_quantity
from headrace.errors import DefinitionError
from headrace.ir import NodeIR

_TOLERATION_FIELDS = ("key", "operator", "value", "effect", "tolerationSeconds")
_OPERATORS = ("Exists", "Equal")
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where and with what a step's pod runs."""

    resources: dict[str, dict[str, str]]  # the container's `resources`
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    gpus: int


def placement(node: NodeIR, *, default_cpu: str, default_memory: str) -> Placement:
    """Requests and limits for every step: the node's, else the defaults; limits default to the
    requests (so a step cannot starve its neighbours); GPUs go in limits under the vendor key."""
    res = node.resources
    where = f"Node {node.id!r} ({node.component}, defined at {node.defined_at})"
    requests, limits = {}, {}
    for kind, request, limit, default in (
        ("cpu", res.cpu, res.cpu_limit, default_cpu),
        ("memory", res.memory, res.memory_limit, default_memory),
    ):
        if request is None:
            # Only a limit given: the default request, unless that is above the limit.
            request = default
            if limit is not None and parse_quantity(limit) < parse_quantity(default):
                request = limit
        limit = limit or request
        if parse_quantity(limit) < parse_quantity(request):
            raise DefinitionError(
                f"{where}: {kind} limit {limit} is below its request {request}; raise "
                f"Resources({kind}_limit=...) or lower Resources({kind}=...)."
            )
        requests[kind], limits[kind] = request, limit
    if res.gpu:
        # Extended resources are limits-only: Kubernetes sets the request equal to the limit.
        limits[res.gpu_vendor] = str(res.gpu)
    return Placement(
        resources={"requests": requests, "limits": limits},
        node_selector={str(k): str(v) for k, v in sorted(res.node_selector.items())},
        tolerations=_tolerations(where, res.tolerations, res.gpu_vendor if res.gpu else None),
        gpus=res.gpu,
    )


def _tolerations(
    where: str, given: tuple[Mapping[str, Any], ...], gpu_vendor: str | None
) -> list[dict[str, Any]]:
    result = []
    for i, tol in enumerate(given):
        unknown = sorted(set(tol) - set(_TOLERATION_FIELDS))
        if unknown:
            raise DefinitionError(
                f"{where}: toleration #{i + 1} has unknown fields {unknown}; a toleration has "
                f"{', '.join(_TOLERATION_FIELDS)}."
            )
        if tol.get("operator", "Equal") not in _OPERATORS:
            raise DefinitionError(
                f"{where}: toleration #{i + 1} operator {tol['operator']!r} is not Exists or Equal."
            )
        if "effect" in tol and tol["effect"] not in _EFFECTS:
            raise DefinitionError(
                f"{where}: toleration #{i + 1} effect {tol['effect']!r} is not one of "
                f"{', '.join(_EFFECTS)}."
            )
        seconds = tol.get("tolerationSeconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
            raise DefinitionError(
                f"{where}: toleration #{i + 1} tolerationSeconds must be a whole number."
            )
        result.append({k: (v if k == "tolerationSeconds" else str(v))
                       for k in _TOLERATION_FIELDS if (v := tol.get(k)) is not None})
    # GPU node pools are usually tainted with the GPU resource key (GKE, AKS, the NVIDIA GPU
    # operator); tolerating it lets a GPU step land there without extra configuration.
    if gpu_vendor and not any(t.get("key") == gpu_vendor for t in result):
        result.append({"key": gpu_vendor, "operator": "Exists", "effect": "NoSchedule"})
    return result
