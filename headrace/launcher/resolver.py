"""Resolver strategies: which recorded artifacts of this pipeline fill a resolver node's outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headrace.ir import NodeIR
from headrace.metadata import Store
from headrace.types.artifact import Artifact

Artifacts = dict[str, list[Artifact]]


def resolve(store: Store, pipeline: str, node: NodeIR, parameters: Mapping[str, Any]) -> Artifacts:
    """The artifacts each output port resolves to (possibly none: a first run has no baseline)."""
    strategy, config = parameters["strategy"], parameters.get("config") or {}
    types = {o.name: o.type_name for o in node.outputs}
    if strategy == "latest_blessed_model":
        return _latest_blessed_model(store, pipeline, types)
    if strategy == "span_range":
        return {
            port: _span_range(store, pipeline, t, config["start_span"], config["end_span"])
            for port, t in types.items()
        }
    return {port: store.artifacts_of_type(pipeline, t)[:1] for port, t in types.items()}


def _latest_blessed_model(store: Store, pipeline: str, types: dict[str, str]) -> Artifacts:
    model_port = next(p for p, t in types.items() if t == "Model")
    blessing_port = next(p for p, t in types.items() if t == "ModelBlessing")
    models = {m.id: m for m in store.artifacts_of_type(pipeline, "Model")}
    for blessing in store.artifacts_of_type(pipeline, "ModelBlessing"):  # newest first
        model_id = _int(blessing.properties.get("current_model_id"))
        if _truthy(blessing.properties.get("blessed")) and model_id in models:
            return {model_port: [models[model_id]], blessing_port: [blessing]}
    return {model_port: [], blessing_port: []}


def _span_range(
    store: Store, pipeline: str, type_name: str, start: int, end: int
) -> list[Artifact]:
    latest: dict[int, tuple[int, Artifact]] = {}
    for artifact in store.artifacts_of_type(pipeline, type_name):  # newest first
        span = _int(artifact.properties.get("span"))
        version = _int(artifact.properties.get("version")) or 0
        if span is None or not start <= span <= end:
            continue
        if span not in latest or version > latest[span][0]:
            latest[span] = (version, artifact)
    return [latest[s][1] for s in sorted(latest)]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _truthy(value: Any) -> bool:
    # TFX writes blessed as the int 1; Headrace components write a bool.
    return value is True or value == 1
