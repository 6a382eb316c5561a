"""Protobuf configuration messages (TFMA's `EvalConfig`, TFX's `PushDestination`, ...) given to a
component wrapper, turned into the plain JSON-able dicts that Parameters carry, and back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from headrace.errors import DefinitionError


def to_parameter(value: Any, *, component: str, argument: str, message: str) -> dict | None:
    """`value` (a protobuf message, a dict, or its JSON text) as a dict; None stays None.

    Field names keep their proto spelling (`model_specs`, not `modelSpecs`), so the dict reads
    like the proto in the IR and the compiled workflow, and `from_parameter` restores it exactly.
    """
    if value is None:
        return None
    if hasattr(value, "DESCRIPTOR") and hasattr(value, "SerializeToString"):
        from google.protobuf import json_format

        return json_format.MessageToDict(value, preserving_proto_field_name=True)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DefinitionError(
                f"{component}: {argument} is a string but not JSON ({exc}); pass a {message} "
                f"proto, a dict, or the proto's JSON text."
            ) from None
    if isinstance(value, Mapping):
        return dict(value)
    raise DefinitionError(
        f"{component}: {argument} must be a {message} proto, a dict or JSON text, not "
        f"{type(value).__name__}."
    )


def from_parameter(value: Mapping[str, Any] | None, message_type: Any, *, what: str) -> Any:
    """The `message_type` message a parameter dict describes (an empty message for None)."""
    from google.protobuf import json_format

    try:
        return json_format.ParseDict(dict(value or {}), message_type())
    except json_format.ParseError as exc:
        raise DefinitionError(
            f"{what} is not a valid {message_type.DESCRIPTOR.full_name}: {exc}"
        ) from None
