"""Container components: a user image and command whose arguments name the node's inputs, outputs
and parameters through placeholders, resolved for each execution.

Two ways to declare one, as in KFP v2:

    train = container_component(
        name="TrainInR", image="rocker/r-ver:4.3", command=["Rscript", "/app/train.R"],
        args=["--data", InputUri("examples"), "--out", OutputUri("model"),
              "--epochs", ParameterValue("epochs")],
        inputs={"examples": Examples}, outputs={"model": Model}, parameters={"epochs": int},
        defaults={"epochs": 10})

    @container_component
    def train(examples: Input[Examples], model: Output[Model], epochs: Parameter[int] = 10):
        return ContainerSpec(image="rocker/r-ver:4.3", command=["Rscript", "/app/train.R"],
                             args=["--data", examples.uri, "--out", model.uri,
                                   f"--epochs={epochs}"])

A placeholder may stand alone or inside a string (f-strings work): it is kept as a token such as
`{headrace:input_uri:examples}` and replaced per execution.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headrace.dsl.annotations import Input, Output, Parameter
from headrace.dsl.component import (
    _NO_DEFAULT,
    Component,
    ComponentSpec,
    ExecutorRef,
    Ports,
    port_specs,
    type_hints,
)
from headrace.dsl.container_spec import (
    _ANY_TOKEN,
    _KINDS,
    _TOKEN,
    ContainerSpec,
    InputUri,
    OutputPropertiesPath,
    OutputUri,
    ParameterValue,
    parameter_text,
    placeholders,
    render,
    step_parameters,
)
from headrace.dsl.context import ExecutionContext
from headrace.errors import DefinitionError
from headrace.types.artifact import Artifact

__all__ = [
    "ContainerSpec",
    "InputUri",
    "OutputPropertiesPath",
    "OutputUri",
    "ParameterValue",
    "container_component",
    "parameter_text",
    "placeholders",
    "render",
    "step_parameters",
]

def container_component(
    fn: Callable[..., ContainerSpec] | None = None,
    *,
    name: str | None = None,
    image: str | None = None,
    command: Sequence[Any] | None = None,
    args: Sequence[Any] = (),
    inputs: Mapping[str, type[Artifact]] | None = None,
    outputs: Mapping[str, type[Artifact]] | None = None,
    parameters: Mapping[str, type] | None = None,
    defaults: Mapping[str, Any] | None = None,
    description: str = "",
) -> Any:
    """A component that runs a user image: from keyword arguments (image, command, args and the
    ports as {name: type}), or as a decorator on a typed function returning a ContainerSpec
    (called once, at definition, with placeholders for its arguments)."""
    if fn is None and image is None:
        return lambda f: container_component(f, name=name)
    if fn is not None:
        if image is not None or command is not None:
            raise DefinitionError(
                "container_component: give either a function returning a ContainerSpec or "
                "image=/command=, not both."
            )
        return _from_function(fn, name or fn.__name__)
    if not name:
        raise DefinitionError(f"container_component(image={image!r}) needs a name=.")
    where = f"container component {name!r}"
    # The same (name, annotation, default) entries a function's signature gives.
    entries: list[tuple[str, Any, Any]] = [
        (k, Input[t], _NO_DEFAULT)  # type: ignore[valid-type]
        for k, t in (inputs or {}).items()
    ]
    entries += [
        (k, Output[t], _NO_DEFAULT)  # type: ignore[valid-type]
        for k, t in (outputs or {}).items()
    ]
    defaults = dict(defaults or {})
    unknown = sorted(set(defaults) - set(parameters or {}))
    if unknown:
        raise DefinitionError(
            f"{where}: defaults for {unknown}, which are not parameters; its parameters: "
            f"{sorted(parameters or {})}."
        )
    entries += [
        (k, Parameter[t], defaults.get(k, _NO_DEFAULT))  # type: ignore[valid-type]
        for k, t in (parameters or {}).items()
    ]
    _check_names(where, [e[0] for e in entries])
    spec = ContainerSpec(image=image or "", command=command or (), args=args)  # type: ignore[arg-type]
    return _component(
        where,
        name,
        description,
        port_specs(where, "port", entries),
        spec,
        ExecutorRef(module=_caller_module(), qualname=name),
        None,
    )


def _from_function(fn: Callable[..., Any], name: str) -> Component:
    where = f"container component {name!r} ({fn.__module__}.{fn.__qualname__})"
    hints = type_hints(fn, where)
    entries = []
    for arg in inspect.signature(fn).parameters.values():
        if hints.get(arg.name) is ExecutionContext:
            raise DefinitionError(
                f"{where}: argument {arg.name!r} is an ExecutionContext; a container gets no "
                f"context, only its placeholders (InputUri, OutputUri, ParameterValue)."
            )
        entries.append((arg.name, hints.get(arg.name), arg.default))
    ports = port_specs(where, "argument", entries)
    stand_ins: dict[str, Any] = {k: _Ref(InputUri(k)) for k in ports.inputs}
    stand_ins |= {k: _Ref(OutputUri(k)) for k in ports.outputs}
    stand_ins |= {k: ParameterValue(k) for k in ports.parameters}
    try:
        spec = fn(**stand_ins)
    except Exception as exc:
        raise DefinitionError(
            f"{where}: calling it with placeholders failed ({type(exc).__name__}: {exc}). It runs "
            f"once, at definition, and may only place its arguments into the ContainerSpec "
            f"(e.g. args=['--out', model.uri, f'--epochs={{epochs}}'])."
        ) from exc
    if not isinstance(spec, ContainerSpec):
        raise DefinitionError(
            f"{where}: returned {type(spec).__name__}; it must return "
            f"ContainerSpec(image=..., command=[...], args=[...])."
        )
    ref = ExecutorRef(module=fn.__module__, qualname=fn.__qualname__)
    return _component(where, name, inspect.getdoc(fn) or "", ports, spec, ref, fn)


@dataclass(frozen=True)
class _Ref:
    """What a ContainerSpec function receives for an artifact: its URI as a placeholder."""

    uri: InputUri | OutputUri

    @property
    def path(self) -> InputUri | OutputUri:  # KFP's name for it
        return self.uri


def _component(
    where: str,
    name: str,
    description: str,
    ports: Ports,
    spec: ContainerSpec,
    ref: ExecutorRef,
    definition: Any,
) -> Component:
    optional = sorted(k for k, i in ports.inputs.items() if i.optional)
    if optional:
        raise DefinitionError(
            f"{where}: inputs {optional} are optional; a container component's inputs must be "
            f"wired (an absent input has no URI to pass)."
        )
    declared: dict[str, Mapping[str, Any]] = {
        "inputs": ports.inputs,
        "outputs": ports.outputs,
        "parameters": ports.parameters,
    }
    used: set[tuple[str, str | None]] = set()
    for field_name in ("command", "args"):
        for i, item in enumerate(getattr(spec, field_name)):
            known = {m.group(0) for m in _TOKEN.finditer(item)}
            odd = [t for t in _ANY_TOKEN.findall(item) if t not in known]
            if odd:
                raise DefinitionError(
                    f"{where}: {field_name}[{i}] holds {odd[0]!r}, which is not a placeholder; "
                    f"use InputUri(...), OutputUri(...), ParameterValue(...) or "
                    f"OutputPropertiesPath()."
                )
            for kind, port in placeholders(item):
                group = _KINDS.get(kind)
                if group and port not in declared[group]:
                    raise DefinitionError(
                        f"{where}: {field_name}[{i}] uses {_CLASS_OF[kind]}({port!r}), but it "
                        f"declares no such {group[:-1]}; its {group}: {sorted(declared[group])}."
                    )
                used.add((kind, port))
    unused = sorted(k for k in ports.outputs if ("output_uri", k) not in used)
    if unused:
        raise DefinitionError(
            f"{where}: outputs {unused} appear in neither command nor args, so the container "
            f"cannot know where to write them; pass OutputUri({unused[0]!r}) in args."
        )
    material = {
        "container": [spec.image, list(spec.command), list(spec.args)],
        "inputs": {k: i.type.TYPE_NAME for k, i in ports.inputs.items()},
        "outputs": {k: t.TYPE_NAME for k, t in ports.outputs.items()},
        "parameters": {k: p.type.__name__ for k, p in ports.parameters.items()},
    }
    component_spec = ComponentSpec(
        name=name,
        description=description,
        inputs=ports.inputs,
        outputs=ports.outputs,
        parameters=ports.parameters,
        executor=ref,
        code_hash=hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16],
        kind="container",
        container=spec,
    )
    return Component(_no_python(name), component_spec, definition=definition)


_CLASS_OF = {"input_uri": "InputUri", "output_uri": "OutputUri", "parameter": "ParameterValue"}


def _check_names(where: str, names: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if not n.isidentifier() or n.startswith("_"):
            raise DefinitionError(
                f"{where}: port or parameter name {n!r} must be a Python identifier not "
                f"starting with '_'."
            )
        if n in seen:
            raise DefinitionError(
                f"{where}: {n!r} is declared twice (among inputs, outputs and parameters); "
                f"give each port and parameter its own name."
            )
        seen.add(n)


def _no_python(name: str) -> Callable[..., Any]:
    def run(**_: Any) -> None:
        raise DefinitionError(
            f"Container component {name!r} runs its image, not Python code; launch() runs it."
        )

    return run


def _caller_module() -> str:
    # The module that called container_component: the first frame outside this module.
    frame = inspect.currentframe()
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""
