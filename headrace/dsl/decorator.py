"""`@component`: a typed function, or a class with a `run(self, context)` method, becomes a
component (component.py, class_component.py)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from headrace.dsl.class_component import class_component
from headrace.dsl.component import Component, function_spec


def component(
    fn: Callable[..., Any] | type | None = None,
    *,
    name: str | None = None,
    file_parameters: tuple[str, ...] = (),
    beam: bool = False,
) -> Any:
    """Turn a typed function, or a class with a `run(self, context)` method, into a component.

    `Input[T]` / `Output[T]` arguments (or class attributes) receive artifacts, `Parameter[T]`
    ones plain values; the docstring is the description. Usable bare (`@component`) or with
    options; `beam=True` says the component runs Beam jobs (from `context.beam_args`).
    """

    def wrap(f: Any) -> Component:
        if inspect.isclass(f):
            made = class_component(f, name or f.__name__, tuple(file_parameters))
        else:
            made = Component(f, function_spec(f, name or f.__name__, tuple(file_parameters)))
        if beam:
            made.spec = dataclasses.replace(made.spec, beam=True)
        return made

    return wrap(fn) if fn is not None else wrap
