"""Nodes (a component called with inputs and parameters) and the channels that wire them."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from headrace.dsl.definition import ComponentSpec
from headrace.dsl.resources import Resources
from headrace.errors import DefinitionError
from headrace.types.artifact import Artifact


class Made(Protocol):
    """What a node is made from: a component (component.py), by its definition."""

    spec: ComponentSpec


@dataclass(frozen=True, eq=False, kw_only=True)
class Channel:
    """One output of one node; pass it as another node's input.

    `Channel(type=Model)` without a node is a query for artifacts of that type recorded by
    this pipeline in earlier runs; only a Resolver takes those (as in TFX).
    """

    type: type[Artifact]
    node: Node | None = None
    output: str | None = None

    def __repr__(self) -> str:
        if self.node is None:
            return f"Channel(type={self.type.TYPE_NAME})"
        return f"{self.node.id}.outputs[{self.output!r}] ({self.type.TYPE_NAME})"


class Node:
    """A component in a pipeline: its inputs, parameters and execution settings.

    Builders return the node so calls chain, as in TFX: `Trainer(...).with_id("trainer")`.
    Definition mistakes are reported when the pipeline is built, all in one place.
    """

    def __init__(self, component: Made, arguments: Mapping[str, Any], defined_at: str):
        self.component = component
        self.id: str = component.spec.name
        self.arguments = dict(arguments)
        self.defined_at = defined_at
        self.resources = Resources()
        self.image: str | None = None
        self.beam_args: tuple[str, ...] = ()
        self.outputs = {
            name: Channel(type=type_, node=self, output=name)
            for name, type_ in component.spec.outputs.items()
        }

    @property
    def inputs(self) -> dict[str, Any]:
        return {k: v for k, v in self.arguments.items() if k in self.component.spec.inputs}

    @property
    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.arguments.items() if k not in self.component.spec.inputs}

    def with_id(self, node_id: str) -> Node:
        self.id = node_id
        return self

    def with_resources(self, resources: Resources | None = None, **kwargs: Any) -> Node:
        """Set this node's resources: `with_resources(Resources(...))` or keyword arguments."""
        if resources is not None and kwargs:
            # Silently dropping the keywords would lose, say, a GPU request.
            raise DefinitionError(
                f"Node {self.id!r}: pass with_resources either a Resources object or keyword "
                f"arguments, not both (got Resources and {sorted(kwargs)})."
            )
        if resources is None:
            try:
                resources = Resources(**kwargs)
            except DefinitionError as exc:
                raise DefinitionError(
                    f"Node {self.id!r} (defined at {self.defined_at}): {exc}"
                ) from None
        self.resources = resources
        return self

    def with_image(self, image: str) -> Node:
        """Run this node's container step from `image` instead of the pipeline's default."""
        self.image = image
        return self

    def with_beam_args(self, args: Iterable[str]) -> Node:
        """Beam pipeline arguments for this node; they override the pipeline's, flag by flag."""
        self.beam_args = tuple(args)
        return self

    def __repr__(self) -> str:
        return f"<node {self.id} ({self.component.spec.name})>"


def call_site() -> str:
    # The first frame outside the DSL: where the user called the component.
    frame = inspect.currentframe()
    here = os.path.dirname(os.path.dirname(__file__)) + os.sep  # the headrace package
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
