"""`Input[T]`, `Output[T]` and `Parameter[T]`: the annotations that declare a component's ports."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")

# The plain value types a Parameter may carry; they must survive a JSON round trip.
PARAMETER_TYPES: tuple[type, ...] = (int, float, str, bool, dict, list)


class Input(Generic[T]):
    """An input artifact of type T; the function receives the artifact (`.uri`, `.properties`).

    Annotate as `Input[T] | None = None` for an optional input (the function receives None).
    """


class Output(Generic[T]):
    """An output artifact of type T; the function writes into `.uri` and may set `.properties`."""


class Parameter(Generic[T]):
    """A plain value (int, float, str, bool, dict or list), with an optional default."""
