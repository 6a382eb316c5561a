"""Per-node execution settings kept in the IR for the backends: resources and runtime parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headrace.errors import DefinitionError

# A Kubernetes quantity: a number with an optional binary/decimal suffix ("500m", "2Gi", "1.5").
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def _quantity(name: str, value: str | int | float | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not _QUANTITY.match(text):
        raise DefinitionError(
            f"Resources.{name}={value!r} is not a Kubernetes quantity; "
            f"write it like '500m', '2', '512Mi' or '4Gi'."
        )
    return text


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What one node's container asks for. Limits default to the requests.

    `gpu` GPUs of `gpu_vendor` (the extended-resource key, e.g. `nvidia.com/gpu` or
    `amd.com/gpu`); `node_selector` and `tolerations` place GPU steps on GPU nodes.
    """

    cpu: str | None = None
    memory: str | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None
    gpu: int = 0
    gpu_vendor: str = "nvidia.com/gpu"
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for name in ("cpu", "memory", "cpu_limit", "memory_limit"):
            object.__setattr__(self, name, _quantity(name, getattr(self, name)))
        if isinstance(self.gpu, bool) or not isinstance(self.gpu, int) or self.gpu < 0:
            raise DefinitionError(f"Resources.gpu={self.gpu!r} must be a whole number >= 0.")
        if "/" not in self.gpu_vendor:
            raise DefinitionError(
                f"Resources.gpu_vendor={self.gpu_vendor!r} must be an extended-resource key "
                f"such as 'nvidia.com/gpu' or 'amd.com/gpu'."
            )
        object.__setattr__(self, "node_selector", dict(self.node_selector))
        object.__setattr__(self, "tolerations", tuple(dict(t) for t in self.tolerations))


@dataclass(frozen=True, kw_only=True)
class RuntimeParameter:
    """A parameter value chosen when a run starts (an Argo/KFP run parameter), with a default."""

    name: str
    ptype: type
    default: Any

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", self.name):
            raise DefinitionError(
                f"RuntimeParameter name {self.name!r} must start with a letter and hold only "
                f"letters, digits, '_' and '-' (Argo parameter names)."
            )
