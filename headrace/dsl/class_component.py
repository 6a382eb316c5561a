"""The class form of `@component`: ports and parameters declared once, as annotated class
attributes, and the executor as the class's `run(self, context)` method.

    @component
    class Summarize:
        '''Docstring = description.'''
        examples: Input[Examples]
        report: Output[Report]
        threshold: Parameter[float] = 0.5

        def run(self, context: ExecutionContext) -> None:
            ...  # self.examples.uri, self.report.uri, self.threshold, self.helper(...)

It goes through the same machinery as a function (port_specs, executor_ref, code_hash): the
Component's executor is a small function that makes an instance, sets one attribute per port and
parameter, and calls `run`, so launching, caching and loading in a container are unchanged.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from headrace.dsl.component import (
    _NO_DEFAULT,
    Component,
    ComponentSpec,
    check_file_parameters,
    code_hash,
    executor_ref,
    port_specs,
)
from headrace.dsl.context import ExecutionContext
from headrace.errors import DefinitionError

# The keyword the executor receives the ExecutionContext under; ports never start with "_"
# (such attributes are the class's own state), so it cannot clash with one.
_CONTEXT = "_context"


def class_component(cls: type, name: str, file_parameters: tuple[str, ...]) -> Component:
    where = f"component {name!r} (class {cls.__module__}.{cls.__qualname__})"
    if "__init__" in cls.__dict__:
        raise DefinitionError(
            f"{where}: defines __init__; Headrace makes the instance and sets its ports and "
            f"parameters as attributes. Remove __init__ and do any set-up at the start of run()."
        )
    takes_context = _run_signature(cls, where)
    entries = []
    for attr, hint in _hints(cls, where).items():
        if attr.startswith("_") or typing.ClassVar in (hint, typing.get_origin(hint)):
            continue  # the class's own state and constants
        if hint is ExecutionContext:
            raise DefinitionError(
                f"{where}: attribute {attr!r} is an ExecutionContext; the context is passed to "
                f"run(self, context). Remove the attribute."
            )
        entries.append((attr, hint, getattr(cls, attr, _NO_DEFAULT)))
    ports = port_specs(where, "attribute", entries)
    check_file_parameters(where, file_parameters, ports.parameters)
    spec = ComponentSpec(
        name=name,
        description=inspect.cleandoc(cls.__doc__ or ""),
        inputs=ports.inputs,
        outputs=ports.outputs,
        parameters=ports.parameters,
        executor=executor_ref(cls),
        # Helpers may live in base classes: their source is part of the code too.
        code_hash=code_hash(c for c in cls.__mro__ if c is not object),
        file_parameters=file_parameters,
        context_argument=_CONTEXT,
    )
    return Component(_executor(cls, takes_context), spec, definition=cls)


def _hints(cls: type, where: str) -> dict[str, Any]:
    try:
        try:
            return typing.get_type_hints(cls)
        except NameError:
            # typing looks names up in the module the class says it is from; code run with its
            # own globals (exec, some notebook and doc runners) has them where run() was made.
            namespace = inspect.getattr_static(cls, "run").__globals__
            return typing.get_type_hints(cls, globalns=namespace)
    except Exception as exc:
        raise DefinitionError(f"{where}: cannot read its type annotations: {exc}") from exc


def _run_signature(cls: type, where: str) -> bool:
    """Whether run() takes the context; a DefinitionError unless it is run(self[, context])."""
    usage = "define `def run(self, context: ExecutionContext) -> None:` (the executor)"
    run = inspect.getattr_static(cls, "run", None)
    if run is None:
        raise DefinitionError(f"{where}: has no run method; {usage}.")
    if not inspect.isfunction(run):
        raise DefinitionError(
            f"{where}: run must be a plain method (not a {type(run).__name__} or attribute); "
            f"{usage}."
        )
    params = list(inspect.signature(run).parameters.values())
    plain = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY) for p in params)
    if not plain or not 1 <= len(params) <= 2:
        raise DefinitionError(
            f"{where}: run{inspect.signature(run)} must take self and at most the context; "
            f"{usage}. Ports and parameters are attributes (self.examples, self.threshold)."
        )
    return len(params) == 2


def _executor(cls: type, takes_context: bool) -> Callable[..., Any]:
    def execute(**kwargs: Any) -> Any:
        context = kwargs.pop(_CONTEXT)
        instance: Any = object.__new__(cls)  # no __init__ to call: it is not allowed
        for attr, value in kwargs.items():
            setattr(instance, attr, value)
        return instance.run(context) if takes_context else instance.run()

    execute.__module__ = cls.__module__
    execute.__qualname__ = f"{cls.__qualname__}.run"
    execute.__doc__ = cls.__doc__
    return execute
