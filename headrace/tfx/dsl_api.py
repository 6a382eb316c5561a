"""`tfx.dsl`: Pipeline, Channel, Resolver (and its strategies), RuntimeParameter and the
`component` decorator with TFX's annotations, made into Headrace's DSL objects."""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from headrace import dsl
from headrace.dsl import Input, Output, Parameter
from headrace.tfx.unsupported import not_provided

# TFX's annotations are Headrace's, so a function written for TFX declares the same ports.
InputArtifact = Input
OutputArtifact = Output
Channel = dsl.Channel
Resolver = dsl.Resolver
LatestArtifactStrategy = dsl.LatestArtifactStrategy
LatestBlessedModelStrategy = dsl.LatestBlessedModelStrategy
SpanRangeStrategy = dsl.SpanRangeStrategy
__all__ = [
    "Channel",
    "InputArtifact",
    "OutputArtifact",
    "Parameter",
    "Pipeline",
    "Resolver",
    "RuntimeParameter",
    "component",
]


def Pipeline(
    pipeline_name: str,
    pipeline_root: str | None = None,
    metadata_connection_config: Any = None,
    components: Sequence[Any] | None = None,
    enable_cache: bool = False,
    beam_pipeline_args: Iterable[str] | None = None,
    platform_config: Any = None,
    execution_mode: Any = None,
    **unsupported: Any,
) -> dsl.Pipeline:
    """TFX's `tfx.dsl.Pipeline(...)`: a Headrace Pipeline. As in TFX, caching is off unless
    `enable_cache=True`; `metadata_connection_config` (SQLite or MySQL) becomes the metadata URL
    and a MySQL password goes to HEADRACE_MYSQL_PASSWORD (unless that is set already)."""
    for name, value in unsupported.items():
        if value is not None:
            not_provided(
                f"tfx.dsl.Pipeline({name}=...)",
                "one pipeline per file (inputs/outputs of nested pipelines are not supported)",
            )
    if platform_config is not None:
        not_provided(
            "tfx.dsl.Pipeline(platform_config=...)",
            "per-node .with_resources(...) and compile options",
        )
    if execution_mode is not None and "ASYNC" in str(execution_mode):
        not_provided("tfx.dsl.Pipeline(execution_mode=ASYNC)", "synchronous runs")
    metadata = None
    if metadata_connection_config is not None:
        # Imported here: headrace.metadata loads ml_metadata, which `import tfx` must not pay.
        from headrace.metadata.connection_configs import url_of
        from headrace.metadata.urls import PASSWORD_ENV

        metadata, password = url_of(metadata_connection_config)
        if password:
            os.environ.setdefault(PASSWORD_ENV, password)
    return dsl.Pipeline(
        name=pipeline_name,
        components=list(components or []),
        pipeline_root=pipeline_root,
        metadata=metadata,
        beam_args=tuple(beam_pipeline_args or ()),
        enable_cache=enable_cache,
    )


def RuntimeParameter(
    name: str, ptype: type | None = None, default: Any = None, description: str | None = None
) -> dsl.RuntimeParameter:
    """TFX's RuntimeParameter: a value chosen when a run starts (`--param`, an Argo parameter)."""
    if ptype is None:
        ptype = type(default) if default is not None else str
    return dsl.RuntimeParameter(name=name, ptype=ptype, default=default)


class OutputDict:
    """TFX's return annotation for values a function component returns; Headrace components
    write outputs into their `OutputArtifact`s, so using it fails at decoration."""

    def __class_getitem__(cls, item: Any) -> Any:
        return cls


class BeamComponentParameter:
    """TFX's Beam pipeline parameter of `component(use_beam=True)`; not provided."""

    def __class_getitem__(cls, item: Any) -> Any:
        return cls


def component(
    func: Callable[..., Any] | None = None,
    /,
    *,
    component_annotation: Any = None,
    use_beam: bool = False,
) -> Any:
    """TFX's `@component` for Python functions with InputArtifact/OutputArtifact/Parameter
    arguments: the same as Headrace's `@component` (the node's id is the function's name)."""
    if use_beam:
        not_provided(
            "tfx.dsl.components.component(use_beam=True)",
            "a component that builds its own Beam pipeline from ExecutionContext.beam_args",
        )

    def wrap(fn: Callable[..., Any]) -> Any:
        returns = typing.get_type_hints(fn).get("return") if fn.__annotations__ else None
        if returns is not None and returns is not type(None):
            not_provided(
                f"tfx.dsl.components.component returning {returns!r} (OutputDict)",
                "an OutputArtifact argument whose .properties carry the values",
            )
        return dsl.component(fn)

    return wrap(func) if func is not None else wrap
