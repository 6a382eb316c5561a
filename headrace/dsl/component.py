"""Components: a typed Python function (or a class, see class_component.py) becomes a component,
its annotations the single source of truth for inputs, outputs and parameters; calling one makes
a node (node.py). The `@component` decorator itself is in decorator.py."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from headrace.dsl.context import ExecutionContext
from headrace.dsl.definition import (
    _NO_DEFAULT,
    ComponentSpec,
    ExecutorRef,
    InputSpec,
    ParameterSpec,
    Ports,
    check_file_parameters,
    code_hash,
    executor_ref,
    port_specs,
    type_hints,
)
from headrace.dsl.node import Node, call_site
from headrace.errors import DefinitionError

__all__ = [
    "_NO_DEFAULT",
    "Component",
    "ComponentSpec",
    "ExecutorRef",
    "InputSpec",
    "ParameterSpec",
    "Ports",
    "check_file_parameters",
    "code_hash",
    "executor_ref",
    "function_spec",
    "port_specs",
    "type_hints",
]


class Component:
    """A component; call it with inputs and parameters to get a node of a pipeline."""

    def __init__(self, fn: Callable[..., Any], spec: ComponentSpec, definition: Any = None) -> None:
        self.fn = fn  # the executor, called with every port and parameter by name
        self.spec = spec
        self.definition = definition if definition is not None else fn  # what the user wrote
        self.__doc__ = self.definition.__doc__
        self.__name__ = spec.name
        self.__wrapped__ = self.definition

    def __call__(self, **kwargs: Any) -> Any:
        return Node(self, kwargs, call_site())

    def __repr__(self) -> str:
        return f"<component {self.spec.name}>"


def function_spec(
    fn: Callable[..., Any], name: str, file_parameters: tuple[str, ...]
) -> ComponentSpec:
    where = f"component {name!r} ({fn.__module__}.{fn.__qualname__})"
    hints = type_hints(fn, where)
    entries = []
    context_argument = None
    for arg in inspect.signature(fn).parameters.values():
        if arg.kind not in (arg.POSITIONAL_OR_KEYWORD, arg.KEYWORD_ONLY):
            # The executor passes every port and parameter by name.
            raise DefinitionError(
                f"{where}: argument {arg.name!r} must be an ordinary named argument (not *args, "
                f"**kwargs or positional-only)."
            )
        if hints.get(arg.name) is ExecutionContext:
            context_argument = arg.name
            continue
        entries.append((arg.name, hints.get(arg.name), arg.default))
    ports = port_specs(where, "argument", entries)
    check_file_parameters(where, file_parameters, ports.parameters)
    return ComponentSpec(
        name=name,
        description=inspect.getdoc(fn) or "",
        inputs=ports.inputs,
        outputs=ports.outputs,
        parameters=ports.parameters,
        executor=executor_ref(fn),
        code_hash=code_hash([fn]),
        file_parameters=file_parameters,
        context_argument=context_argument,
    )
