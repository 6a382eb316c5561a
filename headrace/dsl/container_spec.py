"""What a container component runs: its image, command and args with placeholders for the node's
inputs, outputs and parameters (the placeholder classes and tokens), and how a step resolves them.
A value of the component *definition* (see definition.py); container.py declares components."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from headrace.errors import DefinitionError

_TOKEN = re.compile(r"\{headrace:(input_uri|output_uri|parameter|output_properties)(?::(\w+))?\}")
_ANY_TOKEN = re.compile(r"\{headrace:[^{}]*\}")
_KINDS = {"input_uri": "inputs", "output_uri": "outputs", "parameter": "parameters"}


@dataclass(frozen=True)
class InputUri:
    """The URI (a directory under the pipeline root) of input `name`'s artifact."""

    name: str

    def __str__(self) -> str:
        return f"{{headrace:input_uri:{self.name}}}"


@dataclass(frozen=True)
class OutputUri:
    """The URI (a fresh directory) the container writes output `name` into."""

    name: str

    def __str__(self) -> str:
        return f"{{headrace:output_uri:{self.name}}}"


@dataclass(frozen=True)
class ParameterValue:
    """Parameter `name`'s value: a string as is, other values as JSON (`true`, `0.5`, `[1]`)."""

    name: str

    def __str__(self) -> str:
        return f"{{headrace:parameter:{self.name}}}"


@dataclass(frozen=True)
class OutputPropertiesPath:
    """A file path the container may write JSON to, `{"<output>": {"<property>": value}}`: the
    properties are recorded on those output artifacts in ML Metadata."""

    def __str__(self) -> str:
        return "{headrace:output_properties}"


Placeholder = InputUri | OutputUri | ParameterValue | OutputPropertiesPath


@dataclass(frozen=True, kw_only=True)
class ContainerSpec:
    """What a container component runs: `image` with `command` (required: Argo's emissary
    executor cannot look up an image's entrypoint) and `args`. Items are strings, placeholders,
    or numbers (written as text)."""

    image: str
    command: tuple[str, ...]
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.image, str) or not self.image.strip():
            raise DefinitionError(f"ContainerSpec image {self.image!r} must be an image name.")
        for field_name in ("command", "args"):
            items = getattr(self, field_name)
            if isinstance(items, str | bytes) or not isinstance(items, Sequence):
                raise DefinitionError(
                    f"ContainerSpec {field_name} must be a list of strings, got {items!r}."
                )
            object.__setattr__(
                self, field_name, tuple(_item(field_name, i, x) for i, x in enumerate(items))
            )
        if not self.command:
            raise DefinitionError(
                f"ContainerSpec for image {self.image!r} has no command; give the program to run "
                f"(e.g. command=['python', '/app/main.py']): Argo's emissary executor needs it."
            )


def _item(field_name: str, index: int, value: Any) -> str:
    if isinstance(value, str | InputUri | OutputUri | ParameterValue | OutputPropertiesPath):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise DefinitionError(
        f"ContainerSpec {field_name}[{index}] is {type(value).__name__} {value!r}; use strings, "
        f"numbers or the placeholders InputUri, OutputUri, ParameterValue, OutputPropertiesPath."
    )


def placeholders(text: str) -> list[tuple[str, str | None]]:
    """The (kind, name) of each placeholder in one command or args item."""
    return [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]


def render(text: str, value: Callable[[str, str | None], str]) -> str:
    """`text` with each placeholder replaced by value(kind, name)."""
    return _TOKEN.sub(lambda m: value(m.group(1), m.group(2)), text)


def parameter_text(value: Any) -> str:
    """How a parameter is written into an argument: strings as they are, the rest as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def step_parameters(spec: ContainerSpec) -> list[tuple[str, str, int]]:
    """(parameter name, "command" | "args", index) of each item that a cluster's driver step
    resolves per execution and hands to the container step as an Argo parameter: items with
    placeholders, and items holding "{{", which Argo would otherwise take for its own tags."""
    found = []
    for field_name, prefix in (("command", "cmd"), ("args", "arg")):
        for i, item in enumerate(getattr(spec, field_name)):
            if _TOKEN.search(item) or "{{" in item:
                found.append((f"{prefix}-{i}", field_name, i))
    return found
