"""TFX's class-based custom components: a `BaseComponent` subclass with `SPEC_CLASS` (a
`ComponentSpec` of `ChannelParameter`s and `ExecutionParameter`s), `EXECUTOR_SPEC =
ExecutorClassSpec(MyExecutor)` whose `Do(input_dict, output_dict, exec_properties)` runs, and an
optional `DRIVER_CLASS` whose `resolve_exec_properties` runs just before it.

A subclass instance is a Headrace node; its Component (ports from the spec, the executor adapted
to `Do`'s lists and TFX's JSON-string exec properties) is made once per class and found again in
a step through the class's `headrace_component()`.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from headrace.components.proto_parameters import to_parameter
from headrace.dsl import Channel, ExecutionContext, Node
from headrace.dsl.component import (
    _NO_DEFAULT,
    Component,
    InputSpec,
    ParameterSpec,
    code_hash,
    executor_ref,
)
from headrace.dsl.component import ComponentSpec as HeadraceSpec
from headrace.dsl.node import call_site
from headrace.errors import DefinitionError
from headrace.tfx.unsupported import not_provided
from headrace.types import Artifact


@dataclass(frozen=True, kw_only=True)
class ExecutionParameter:
    """An exec property: int, float, str, bool, Dict/List (JSON) or a proto message class."""

    type: Any = None
    optional: bool = False
    use_proto: bool = False


@dataclass(frozen=True, kw_only=True)
class ChannelParameter:
    """An input or output port of artifacts of `type`."""

    type: type[Artifact]
    optional: bool = False
    allow_empty: bool = False


class ComponentSpec:
    """TFX's ComponentSpec: subclasses set PARAMETERS, INPUTS and OUTPUTS; an instance holds the
    values (`MySpec(examples=..., threshold=3, output=Channel(type=Examples))`)."""

    PARAMETERS: ClassVar[Mapping[str, ExecutionParameter]] = {}
    INPUTS: ClassVar[Mapping[str, ChannelParameter]] = {}
    OUTPUTS: ClassVar[Mapping[str, ChannelParameter]] = {}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("name", None)  # TFX 0.x's instance name, taken by BaseComponent
        known = {**self.PARAMETERS, **self.INPUTS, **self.OUTPUTS}
        for key in kwargs:
            if key not in known:
                raise DefinitionError(
                    f"{type(self).__name__}: unknown argument {key!r}; it declares parameters "
                    f"{sorted(self.PARAMETERS)}, inputs {sorted(self.INPUTS)} and outputs "
                    f"{sorted(self.OUTPUTS)}."
                )
        self.exec_properties = {k: v for k, v in kwargs.items() if k in self.PARAMETERS}
        self.inputs = {k: v for k, v in kwargs.items() if k in self.INPUTS and v is not None}
        self.outputs = {k: v for k, v in kwargs.items() if k in self.OUTPUTS and v is not None}


@dataclass(frozen=True, kw_only=True)
class ExecutorClassSpec:
    """`ExecutorClassSpec(MyExecutor)`: the executor class whose `Do` the node runs."""

    executor_class: type

    def __init__(self, executor_class: type, extra_flags: Any = None) -> None:
        object.__setattr__(self, "executor_class", executor_class)


class ExecutorContainerSpec:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        not_provided(
            "tfx.dsl.components.base.executor_spec.ExecutorContainerSpec",
            "headrace.container_component (a container step with placeholders)",
        )


@dataclass(frozen=True, kw_only=True)
class ExecutorContext:
    """What TFX's `BaseExecutor.Context` offered executors."""

    beam_pipeline_args: list[str]
    tmp_dir: str
    unique_id: str
    pipeline_run_id: str
    pipeline_node_id: str


class BaseExecutor:
    """TFX's BaseExecutor: subclasses define `Do(self, input_dict, output_dict,
    exec_properties)`; `self._context` is an ExecutorContext."""

    Context = ExecutorContext

    def __init__(self, context: ExecutorContext | None = None) -> None:
        self._context = context
        self._beam_pipeline_args = list(context.beam_pipeline_args) if context else []

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define Do(...)")

    def _get_tmp_dir(self) -> str:
        return self._context.tmp_dir if self._context else "/tmp"

    def _log_startup(self, *args: Any) -> None:
        pass


class BaseBeamExecutor(BaseExecutor):
    """TFX's BaseBeamExecutor: `self._make_beam_pipeline()` with the node's Beam arguments."""

    def _make_beam_pipeline(self) -> Any:
        import apache_beam as beam
        from apache_beam.options.pipeline_options import PipelineOptions

        return beam.Pipeline(options=PipelineOptions(self._beam_pipeline_args))


class BaseDriver:
    """TFX's BaseDriver. A subclass may override `resolve_exec_properties(exec_properties,
    pipeline_info, component_info)`, called in the step right before the executor's Do."""

    def __init__(self, metadata_handle: Any = None) -> None:
        self._metadata_handler = metadata_handle

    def resolve_exec_properties(
        self, exec_properties: dict[str, Any], pipeline_info: Any, component_info: Any
    ) -> dict[str, Any]:
        return exec_properties


_DRIVER_HOOKS = (
    "pre_execution",
    "resolve_input_artifacts",
    "_prepare_output_artifacts",
    "post_execution",
    "_resolve_input_artifacts",
)


@dataclass(frozen=True, kw_only=True)
class _Info:
    """What drivers get as pipeline_info / component_info."""

    pipeline_name: str
    pipeline_root: str
    run_id: str
    component_id: str


class BaseComponent(Node):
    """TFX's BaseComponent: subclass it with SPEC_CLASS and EXECUTOR_SPEC (and DRIVER_CLASS),
    build the spec in `__init__` and call `super().__init__(spec=spec)`."""

    SPEC_CLASS: ClassVar[type[ComponentSpec]]
    EXECUTOR_SPEC: ClassVar[ExecutorClassSpec]
    DRIVER_CLASS: ClassVar[type[BaseDriver]] = BaseDriver

    def __init__(
        self,
        spec: ComponentSpec,
        custom_executor_spec: Any = None,
        instance_name: str | None = None,
    ) -> None:
        cls = type(self)
        if custom_executor_spec is not None:
            not_provided(
                f"{cls.__name__}(custom_executor_spec=...)", "EXECUTOR_SPEC on the component class"
            )
        component = cls.headrace_component()
        if not isinstance(spec, cls.SPEC_CLASS):
            raise DefinitionError(
                f"{cls.__name__}: spec must be a {cls.SPEC_CLASS.__name__}, not "
                f"{type(spec).__name__}."
            )
        arguments: dict[str, Any] = dict(spec.inputs)
        for name, value in spec.exec_properties.items():
            declared = cls.SPEC_CLASS.PARAMETERS[name].type
            if _is_proto_class(declared) and value is not None and not isinstance(value, str):
                value = to_parameter(
                    value, component=cls.__name__, argument=name, message=declared.__name__
                )
            arguments[name] = value
        for name, channel in spec.outputs.items():
            declared_type = cls.SPEC_CLASS.OUTPUTS[name].type
            channel_type = getattr(channel, "type", None)
            if channel_type is not None and not issubclass(channel_type, declared_type):
                raise DefinitionError(
                    f"{cls.__name__}: output {name!r} is {declared_type.TYPE_NAME} in "
                    f"{cls.SPEC_CLASS.__name__}, but a {channel_type.TYPE_NAME} channel was given."
                )
        super().__init__(component, arguments, call_site())
        if instance_name:
            self.with_id(f"{cls.__name__}.{instance_name}")

    @classmethod
    def headrace_component(cls) -> Component:
        cached = cls.__dict__.get("_headrace_component")
        if cached is None:
            cached = _make_component(cls)
            cls._headrace_component = cached  # type: ignore[attr-defined]
        return cached


def _make_component(cls: type[BaseComponent]) -> Component:
    where = f"component {cls.__name__} ({cls.__module__}.{cls.__qualname__})"
    spec_class = getattr(cls, "SPEC_CLASS", None)
    if not (inspect.isclass(spec_class) and issubclass(spec_class, ComponentSpec)):
        raise DefinitionError(f"{where}: SPEC_CLASS must be a tfx.types.ComponentSpec subclass.")
    executor_spec = getattr(cls, "EXECUTOR_SPEC", None)
    if not isinstance(executor_spec, ExecutorClassSpec):
        raise DefinitionError(
            f"{where}: EXECUTOR_SPEC must be ExecutorClassSpec(MyExecutor) (container executors: "
            f"use headrace.container_component)."
        )
    executor_class = executor_spec.executor_class
    if not callable(getattr(executor_class, "Do", None)):
        raise DefinitionError(f"{where}: its executor {executor_class!r} has no Do method.")
    driver_class = cls.DRIVER_CLASS
    for hook in _DRIVER_HOOKS:
        if getattr(driver_class, hook, None) is not None:
            not_provided(
                f"{driver_class.__name__}.{hook} (a custom driver)",
                "a driver that overrides only resolve_exec_properties",
            )
    parameters = {}
    for name, p in spec_class.PARAMETERS.items():
        parameters[name] = ParameterSpec(
            type=_parameter_type(where, name, p.type), default=None if p.optional else _NO_DEFAULT
        )
    spec = HeadraceSpec(
        name=cls.__name__,
        description=inspect.cleandoc(cls.__doc__ or ""),
        inputs={
            k: InputSpec(type=c.type, optional=c.optional) for k, c in spec_class.INPUTS.items()
        },
        outputs={k: c.type for k, c in spec_class.OUTPUTS.items()},
        parameters=parameters,
        executor=executor_ref(cls),
        code_hash=code_hash(_own_classes(cls, spec_class, executor_class, driver_class)),
        context_argument="_context",
        # A BaseBeamExecutor runs Beam jobs: its compiled step gets the runner flags (and, on
        # Flink/Spark, the worker pool) that only Beam steps get.
        beam=issubclass(executor_class, BaseBeamExecutor),
    )
    return Component(_executor(cls, spec_class, executor_class, driver_class), spec, definition=cls)


def _own_classes(*classes: type) -> list[type]:
    """The user's classes and their bases, without this module's stand-ins or `object`."""
    seen: list[type] = []
    for cls in classes:
        for c in cls.__mro__:
            if c is not object and c.__module__ != __name__ and c not in seen:
                seen.append(c)
    return seen


def _is_proto_class(t: Any) -> bool:
    return inspect.isclass(t) and hasattr(t, "DESCRIPTOR") and hasattr(t, "FromString")


def _parameter_type(where: str, name: str, t: Any) -> type:
    if t in (int, float, str, bool):
        return t  # type: ignore[no-any-return]
    origin = typing.get_origin(t) or t
    if origin in (dict, Mapping) or _is_proto_class(t):
        return dict
    if origin in (list, tuple):
        return list
    raise DefinitionError(
        f"{where}: ExecutionParameter {name!r} has type {t!r}; use int, float, str, bool, "
        f"Dict[str, Any], List[...] or a proto message class."
    )


def _executor(
    cls: type, spec_class: type[ComponentSpec], executor_class: type, driver_class: type
) -> Any:
    def execute(_context: ExecutionContext, **ports: Any) -> None:
        input_dict = {k: [ports[k]] if ports.get(k) is not None else [] for k in spec_class.INPUTS}
        output_dict = {k: [ports[k]] for k in spec_class.OUTPUTS}
        exec_properties: dict[str, Any] = {}
        for name in spec_class.PARAMETERS:
            value = ports.get(name)
            # TFX hands non-primitive exec properties to executors as JSON text.
            if value is not None and not isinstance(value, int | float | str | bool):
                value = json.dumps(value)
            exec_properties[name] = value
        if "resolve_exec_properties" in _overridden(driver_class):
            info = _Info(
                pipeline_name=_context.pipeline,
                pipeline_root=_context.pipeline_root,
                run_id=_context.run_id,
                component_id=_context.node_id,
            )
            exec_properties = driver_class().resolve_exec_properties(exec_properties, info, info)
        context = ExecutorContext(
            beam_pipeline_args=list(_context.beam_args),
            tmp_dir=_context.temp_dir,
            unique_id=str(_context.execution_id),
            pipeline_run_id=_context.run_id,
            pipeline_node_id=_context.node_id,
        )
        executor_class(context).Do(input_dict, output_dict, exec_properties)

    execute.__module__ = cls.__module__
    execute.__qualname__ = f"{cls.__qualname__}.Do"
    return execute


def _overridden(driver_class: type) -> set[str]:
    return {
        name for c in driver_class.__mro__ if c not in (BaseDriver, object) for name in c.__dict__
    }


def channel(type: type[Artifact]) -> Channel:
    return Channel(type=type)


def as_channel(artifacts: list[Artifact]) -> Channel:
    """TFX's channel_utils.as_channel([Examples()]): an output channel of that type."""
    if not artifacts:
        raise DefinitionError("as_channel needs at least one artifact to take the type from.")
    return Channel(type=type(artifacts[0]))
