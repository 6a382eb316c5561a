"""`@component`: a typed Python function becomes a component, its signature the single source of
truth for inputs, outputs and parameters."""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from headrace.dsl.annotations import PARAMETER_TYPES, Input, Output, Parameter
from headrace.dsl.context import ExecutionContext
from headrace.errors import DefinitionError
from headrace.types.artifact import Artifact

_NO_DEFAULT: Any = inspect.Parameter.empty


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    type: type[Artifact]
    optional: bool


@dataclass(frozen=True, kw_only=True)
class ParameterSpec:
    type: type
    default: Any = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True, kw_only=True)
class ExecutorRef:
    """Where the executor lives: importable `module` + `qualname`, or loaded from `file`."""

    module: str
    qualname: str
    file: str | None = None


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    name: str
    description: str
    inputs: Mapping[str, InputSpec]
    outputs: Mapping[str, type[Artifact]]
    parameters: Mapping[str, ParameterSpec]
    executor: ExecutorRef
    code_hash: str
    # Parameters whose value is a file path whose *content* belongs in the cache key (for
    # example a Transform/Trainer `module_file`): editing the file must re-run the node.
    file_parameters: tuple[str, ...] = ()
    # The argument that receives the ExecutionContext, if the function declares one.
    context_argument: str | None = None
    # "component" runs its function; "resolver" is filled from ML Metadata by the launcher.
    kind: str = "component"


class Component:
    """A component; call it with inputs and parameters to get a node of a pipeline."""

    def __init__(self, fn: Callable[..., Any], spec: ComponentSpec) -> None:
        self.fn = fn
        self.spec = spec
        self.__doc__ = fn.__doc__
        self.__name__ = spec.name
        self.__wrapped__ = fn

    def __call__(self, **kwargs: Any) -> Any:
        from headrace.dsl.node import Node  # node.py imports this module

        return Node(self, kwargs, _call_site())

    def __repr__(self) -> str:
        return f"<component {self.spec.name}>"


def component(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    file_parameters: tuple[str, ...] = (),
) -> Any:
    """Turn a typed function into a component.

    `Input[T]` / `Output[T]` arguments receive artifacts, `Parameter[T]` arguments plain values;
    the docstring is the description. Usable bare (`@component`) or with options.
    """

    def wrap(f: Callable[..., Any]) -> Component:
        return Component(f, _spec_of(f, name or f.__name__, tuple(file_parameters)))

    return wrap(fn) if fn is not None else wrap


def _spec_of(fn: Callable[..., Any], name: str, file_parameters: tuple[str, ...]) -> ComponentSpec:
    where = f"component {name!r} ({fn.__module__}.{fn.__qualname__})"
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:
        raise DefinitionError(f"{where}: cannot read its type annotations: {exc}") from exc
    inputs: dict[str, InputSpec] = {}
    outputs: dict[str, type[Artifact]] = {}
    parameters: dict[str, ParameterSpec] = {}
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
        kind, inner, optional = _classify(hints.get(arg.name))
        fix = "annotate it as Input[T], Output[T] or Parameter[int|float|str|bool|dict|list]"
        if kind is None:
            raise DefinitionError(f"{where}: argument {arg.name!r} has no port annotation; {fix}.")
        if kind is Parameter:
            if inner not in PARAMETER_TYPES:
                raise DefinitionError(
                    f"{where}: parameter {arg.name!r} has type {inner!r}; a Parameter must be one "
                    f"of int, float, str, bool, dict, list."
                )
            parameters[arg.name] = ParameterSpec(type=inner, default=arg.default)
            continue
        if not (isinstance(inner, type) and issubclass(inner, Artifact)):
            raise DefinitionError(
                f"{where}: argument {arg.name!r} is {kind.__name__}[{inner!r}]; the type inside "
                f"must be an Artifact subclass such as headrace.types.Examples."
            )
        if kind is Input:
            inputs[arg.name] = InputSpec(type=inner, optional=optional)
        else:
            outputs[arg.name] = inner
    for p in file_parameters:
        if p not in parameters or parameters[p].type is not str:
            raise DefinitionError(f"{where}: file parameter {p!r} must be a Parameter[str].")
    module = fn.__module__
    file = None
    if module == "__main__" or module not in sys.modules or _loaded_from_path(module):
        file = inspect.getsourcefile(fn)
    return ComponentSpec(
        name=name,
        description=inspect.getdoc(fn) or "",
        inputs=inputs,
        outputs=outputs,
        parameters=parameters,
        executor=ExecutorRef(module=module, qualname=fn.__qualname__, file=file),
        code_hash=_code_hash(fn),
        file_parameters=file_parameters,
        context_argument=context_argument,
    )


def _classify(hint: Any) -> tuple[type | None, Any, bool]:
    """(Input|Output|Parameter|None, inner type, optional) of one annotation."""
    optional = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            return None, None, False
        optional, hint, origin = True, args[0], typing.get_origin(args[0])
    if origin in (Input, Output, Parameter):
        inner = typing.get_args(hint)[0]
        return origin, typing.get_origin(inner) or inner, optional
    return None, None, False


def _loaded_from_path(module: str) -> bool:
    # Pipeline files loaded by path (headrace run file.py) are marked so that a subprocess or a
    # container step loads them the same way instead of importing by name.
    return bool(getattr(sys.modules[module], "__headrace_loaded_from_path__", False))


def _code_hash(fn: Callable[..., Any]) -> str:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = f"{fn.__module__}.{fn.__qualname__}"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _call_site() -> str:
    # The first frame outside the DSL: where the user called the component.
    frame = inspect.currentframe()
    here = os.path.dirname(os.path.dirname(__file__)) + os.sep  # the headrace package
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
