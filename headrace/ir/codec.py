"""A lossless JSON codec for the IR's frozen dataclasses, driven by their type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from headrace.errors import DefinitionError

_SCALARS = (str, int, float, bool, type(None))


def to_jsonable(value: Any) -> Any:
    # Scalars first and field lists cached per class: compiling 10,000 nodes serializes the IR.
    if isinstance(value, _SCALARS):
        return value
    fields = _fields(type(value))  # type: ignore[arg-type]  # classes are hashable
    if fields is not None:
        out = {}
        for name, omit, default in fields:
            item = getattr(value, name)
            if not (omit and item == default):
                out[name] = to_jsonable(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    return value


def from_jsonable(hint: Any, data: Any) -> Any:
    """Rebuild a value of type `hint` from what `to_jsonable` produced."""
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        names = {f.name for f in dataclasses.fields(hint)}
        unknown = set(data) - names
        if unknown:
            raise DefinitionError(
                f"IR {hint.__name__} has unknown fields {sorted(unknown)}; was it written by a "
                f"newer Headrace?"
            )
        try:
            return hint(**{k: from_jsonable(hints[k], v) for k, v in data.items()})
        except TypeError as exc:  # a required field is missing
            raise DefinitionError(f"IR {hint.__name__} is incomplete: {exc}.") from exc
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return from_jsonable(args[0], data) if len(args) == 1 else data
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(from_jsonable(inner, v) for v in data)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        value_hint = typing.get_args(hint)[1] if typing.get_args(hint) else Any
        return {k: from_jsonable(value_hint, v) for k, v in data.items()}
    return data


@cache
def _fields(cls: type) -> tuple[tuple[str, bool, Any], ...] | None:
    """(name, omitted while default, default) of a dataclass's fields; None for other types."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple((f.name, bool(f.metadata.get("omit_default")), f.default)
                 for f in dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)
