"""A component *definition*, shared by every node made from it: its ports (inputs, outputs,
parameters, read from annotations), where its executor lives, the hash of its code. Depends on
no other part of the DSL but annotations and the container spec; nodes (node.py) and components
(component.py) build on it, so the DSL's imports run one way."""

from __future__ import annotations

import hashlib
import inspect
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headrace.dsl.annotations import PARAMETER_TYPES, Input, Output, Parameter
from headrace.dsl.container_spec import ContainerSpec
from headrace.errors import DefinitionError
from headrace.types.artifact import Artifact

_NO_DEFAULT: Any = inspect.Parameter.empty
_PORT_FIX = "annotate it as Input[T], Output[T] or Parameter[int|float|str|bool|dict|list]"


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
    # "component" runs its Python code; "resolver" is filled from ML Metadata by the launcher;
    # "container" runs `container` (a user image and command) instead of Python code.
    kind: str = "component"
    container: ContainerSpec | None = None
    # The component runs Beam jobs (its executor builds a Beam pipeline from the node's Beam
    # args): only such nodes get Beam runner flags and worker-pool sidecars in a cluster.
    beam: bool = False


@dataclass(frozen=True, kw_only=True)
class Ports:
    inputs: dict[str, InputSpec]
    outputs: dict[str, type[Artifact]]
    parameters: dict[str, ParameterSpec]


def type_hints(obj: Any, where: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception as exc:
        raise DefinitionError(f"{where}: cannot read its type annotations: {exc}") from exc


def port_specs(where: str, noun: str, entries: Iterable[tuple[str, Any, Any]]) -> Ports:
    """Inputs, outputs and parameters from (name, annotation, default) entries; `noun` is what
    the user calls one of them ("argument" of a function, "attribute" of a class)."""
    ports = Ports(inputs={}, outputs={}, parameters={})
    for name, hint, default in entries:
        kind, inner, optional = _classify(hint)
        if kind is None:
            raise DefinitionError(f"{where}: {noun} {name!r} has no port annotation; {_PORT_FIX}.")
        if kind is Parameter:
            if inner not in PARAMETER_TYPES:
                raise DefinitionError(
                    f"{where}: parameter {name!r} has type {inner!r}; a Parameter must be one "
                    f"of int, float, str, bool, dict, list."
                )
            _check_default(where, name, inner, default)
            ports.parameters[name] = ParameterSpec(type=inner, default=default)
            continue
        if not (isinstance(inner, type) and issubclass(inner, Artifact)):
            raise DefinitionError(
                f"{where}: {noun} {name!r} is {kind.__name__}[{inner!r}]; the type inside "
                f"must be an Artifact subclass such as headrace.types.Examples."
            )
        if kind is Input:
            if default is not _NO_DEFAULT and (default is not None or not optional):
                raise DefinitionError(
                    f"{where}: input {name!r} has the default {default!r}; an input takes no "
                    f"default, except an optional one: {name}: Input[{inner.__name__}] | None "
                    f"= None."
                )
            ports.inputs[name] = InputSpec(type=inner, optional=optional)
        else:
            if default is not _NO_DEFAULT:
                raise DefinitionError(
                    f"{where}: output {name!r} has the default {default!r}; outputs take no "
                    f"default (each execution gets a fresh directory). Remove '= ...'."
                )
            ports.outputs[name] = inner
    return ports


def _check_default(where: str, name: str, expected: type, default: Any) -> None:
    # None is every parameter's "not set"; an int is a fine float. Anything else would fail the
    # first run that keeps the default, so say it now.
    if default is _NO_DEFAULT or default is None:
        return
    ok = isinstance(default, expected) and not (expected is int and isinstance(default, bool))
    if expected is float and isinstance(default, int) and not isinstance(default, bool):
        ok = True
    if not ok:
        raise DefinitionError(
            f"{where}: parameter {name!r} is Parameter[{expected.__name__}] but its default is "
            f"{type(default).__name__} {default!r}; give a {expected.__name__} default (or None)."
        )


def check_file_parameters(
    where: str, file_parameters: tuple[str, ...], parameters: Mapping[str, ParameterSpec]
) -> None:
    for p in file_parameters:
        if p not in parameters or parameters[p].type is not str:
            raise DefinitionError(f"{where}: file parameter {p!r} must be a Parameter[str].")


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


def executor_ref(obj: Any) -> ExecutorRef:
    """How a step finds `obj` (a function or class) again: by module and qualified name, or
    from its file when the module was loaded by path."""
    module = obj.__module__
    file = None
    if module == "__main__" or module not in sys.modules or _loaded_from_path(module):
        file = inspect.getsourcefile(obj)
    return ExecutorRef(module=module, qualname=obj.__qualname__, file=file)


def _loaded_from_path(module: str) -> bool:
    # Pipeline files loaded by path (headrace run file.py) are marked so that a subprocess or a
    # container step loads them the same way instead of importing by name.
    return bool(getattr(sys.modules[module], "__headrace_loaded_from_path__", False))


def code_hash(objects: Iterable[Any]) -> str:
    """A hash of the source of `objects` (a function, or a class and its own base classes)."""
    digest = hashlib.sha256()
    for obj in objects:
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            source = f"{obj.__module__}.{obj.__qualname__}"
        digest.update(source.encode())
    return digest.hexdigest()[:16]
