"""Resolver nodes: outputs found in ML Metadata by a strategy instead of computed, e.g. the latest
blessed model of earlier runs as the Evaluator's baseline. Queries see only this pipeline."""

from __future__ import annotations

import hashlib
from typing import Any

from headrace.dsl.component import (
    Component,
    ComponentSpec,
    ExecutorRef,
    ParameterSpec,
)
from headrace.dsl.node import Channel, Node, call_site
from headrace.errors import DefinitionError
from headrace.types.artifact import Artifact
from headrace.types.standard import Examples, Model, ModelBlessing

RESOLVER = "resolver"


class LatestArtifactStrategy:
    """The newest artifact of each channel's type."""

    NAME = "latest_artifact"


class LatestBlessedModelStrategy:
    """The newest Model whose ModelBlessing says blessed, with that blessing."""

    NAME = "latest_blessed_model"


class SpanRangeStrategy:
    """Examples whose span lies in `config={"start_span": a, "end_span": b}` (inclusive), the
    latest version of each span."""

    NAME = "span_range"


_STRATEGIES = {
    s.NAME: s for s in (LatestArtifactStrategy, LatestBlessedModelStrategy, SpanRangeStrategy)
}


def Resolver(
    strategy_class: type, config: dict[str, Any] | None = None, **channels: Channel
) -> Node:
    """A resolver node, as in TFX: `Resolver(strategy_class=LatestBlessedModelStrategy,
    model=Channel(type=Model), model_blessing=Channel(type=ModelBlessing))`; its outputs have the
    channels' names. Give it an id with `.with_id(...)` as TFX examples do."""
    name = getattr(strategy_class, "NAME", None)
    if name not in _STRATEGIES:
        raise DefinitionError(
            f"Resolver strategy {strategy_class!r} is unknown; use one of "
            f"{', '.join(s.__name__ for s in _STRATEGIES.values())} from headrace.dsl."
        )
    if not channels:
        raise DefinitionError("A Resolver needs channels to fill, e.g. model=Channel(type=Model).")
    for port, channel in channels.items():
        if not isinstance(channel, Channel) or channel.node is not None:
            raise DefinitionError(
                f"Resolver channel {port!r} must be a query like Channel(type=Model), not "
                f"{channel!r}: a resolver reads earlier runs, not this run's outputs."
            )
    _check(name, config or {}, {p: c.type for p, c in channels.items()})
    spec = ComponentSpec(
        name="Resolver",
        description=f"Resolves {', '.join(channels)} with {strategy_class.__name__}.",
        inputs={},
        outputs={port: c.type for port, c in channels.items()},
        parameters={"strategy": ParameterSpec(type=str), "config": ParameterSpec(type=dict)},
        executor=ExecutorRef(module=__name__, qualname="Resolver"),
        code_hash=hashlib.sha256(name.encode()).hexdigest()[:16],
        kind=RESOLVER,
    )
    return Node(
        Component(_no_executor, spec),
        {"strategy": name, "config": dict(config or {})},
        call_site(),
    )


def _check(strategy: str, config: dict[str, Any], types: dict[str, type[Artifact]]) -> None:
    if strategy == LatestBlessedModelStrategy.NAME:
        kinds = sorted(t.TYPE_NAME for t in types.values())
        if kinds != sorted([Model.TYPE_NAME, ModelBlessing.TYPE_NAME]):
            raise DefinitionError(
                "LatestBlessedModelStrategy needs exactly a Model and a ModelBlessing channel, "
                "e.g. model=Channel(type=Model), model_blessing=Channel(type=ModelBlessing)."
            )
    if strategy == SpanRangeStrategy.NAME:
        bounds = (config.get("start_span"), config.get("end_span"))
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise DefinitionError(
                'SpanRangeStrategy needs config={"start_span": <int>, "end_span": <int>}.'
            )
        if not all(issubclass(t, Examples) for t in types.values()):
            raise DefinitionError("SpanRangeStrategy resolves Examples channels only.")


def _no_executor(**_: Any) -> None:
    raise AssertionError("resolver nodes are resolved by the launcher, never executed")
