"""TFX's `pipeline_operator_funcs` (functions that modify every KFP v1 ContainerOp), applied to
a recorder that turns the calls Headrace can honour into step settings: GPU limits, node
selectors, tolerations, CPU/memory, env variables (plain or from a Secret).

Any other call on the op fails at KubeflowDagRunnerConfig construction, naming the call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from headrace.compiler import SecretRef
from headrace.dsl import Node, Resources
from headrace.tfx.unsupported import not_provided

_VENDORS = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu"}


@dataclass(kw_only=True)
class StepSettings:
    """What the operator funcs asked of every step."""

    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, SecretRef] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)  # Resources fields
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, nodes: Sequence[Node]) -> None:
        """Merge these settings into every node's resources (once per node: running the same
        runner twice does not add tolerations twice)."""
        for node in nodes:
            if getattr(node, "_operator_settings", None) is self:
                continue
            resources = node.resources
            node.resources = dataclasses.replace(
                resources,
                **self.resources,
                node_selector={**resources.node_selector, **self.node_selector},
                tolerations=(*resources.tolerations, *self.tolerations),
            )
            node._operator_settings = self  # type: ignore[attr-defined]


def record(funcs: Sequence[Callable[..., Any]]) -> StepSettings:
    settings = StepSettings()
    op = _RecordingOp(settings)
    for func in funcs:
        func(op)
    Resources(**settings.resources)  # a bad quantity fails now
    return settings


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class _RecordingOp:
    """Stands for KFP v1's ContainerOp (and its `.container`) while operator funcs run."""

    def __init__(self, settings: StepSettings) -> None:
        self._settings = settings

    @property
    def container(self) -> _RecordingOp:
        return self

    def set_gpu_limit(self, gpu: int | str, vendor: str = "nvidia") -> _RecordingOp:
        self._settings.resources["gpu"] = int(gpu)
        self._settings.resources["gpu_vendor"] = _VENDORS.get(vendor, vendor)
        return self

    def add_node_selector_constraint(self, label_name: str, value: str) -> _RecordingOp:
        self._settings.node_selector[label_name] = value
        return self

    def add_toleration(self, toleration: Any) -> _RecordingOp:
        if not isinstance(toleration, dict):
            toleration = {
                k: _field(toleration, k)
                for k in ("key", "operator", "value", "effect", "toleration_seconds")
            }
        self._settings.tolerations.append(
            {
                ("tolerationSeconds" if k == "toleration_seconds" else k): v
                for k, v in toleration.items()
                if v is not None
            }
        )
        return self

    def set_cpu_request(self, cpu: str) -> _RecordingOp:
        self._settings.resources["cpu"] = str(cpu)
        return self

    def set_cpu_limit(self, cpu: str) -> _RecordingOp:
        self._settings.resources["cpu_limit"] = str(cpu)
        return self

    def set_memory_request(self, memory: str) -> _RecordingOp:
        self._settings.resources["memory"] = str(memory)
        return self

    def set_memory_limit(self, memory: str) -> _RecordingOp:
        self._settings.resources["memory_limit"] = str(memory)
        return self

    def add_env_variable(self, env: Any) -> _RecordingOp:
        name, value, source = _field(env, "name"), _field(env, "value"), _field(env, "value_from")
        secret = _field(source, "secret_key_ref") if source is not None else None
        if secret is not None:
            self._settings.secret_env[name] = SecretRef(
                name=_field(secret, "name"), key=_field(secret, "key")
            )
        elif source is not None:
            not_provided(
                f"pipeline operator func: env variable {name!r} from {source!r}",
                "a plain value or a Secret key (secret_key_ref)",
            )
        else:
            self._settings.env[name] = "" if value is None else str(value)
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        not_provided(
            f"pipeline operator func calling ContainerOp.{name}",
            "GPU limits, node selectors, tolerations, CPU/memory and env variables (plain or "
            "from Secrets) in operator funcs; volumes and the rest via CompileOptions "
            "(KubeflowDagRunnerConfig(compile_options=...))",
        )
