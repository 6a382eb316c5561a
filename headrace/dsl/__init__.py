"""The pipeline DSL: components from typed functions, nodes, channels and pipelines."""

from headrace.dsl.annotations import Input, Output, Parameter
from headrace.dsl.component import Component, ComponentSpec, ExecutorRef
from headrace.dsl.container import (
    ContainerSpec,
    InputUri,
    OutputPropertiesPath,
    OutputUri,
    ParameterValue,
    container_component,
)
from headrace.dsl.context import ExecutionContext
from headrace.dsl.decorator import component
from headrace.dsl.node import Channel, Node
from headrace.dsl.pipeline import Pipeline
from headrace.dsl.resolver import (
    LatestArtifactStrategy,
    LatestBlessedModelStrategy,
    Resolver,
    SpanRangeStrategy,
)
from headrace.dsl.resources import Resources, RuntimeParameter

__all__ = [
    "Channel",
    "Component",
    "ComponentSpec",
    "ContainerSpec",
    "ExecutionContext",
    "ExecutorRef",
    "Input",
    "InputUri",
    "LatestArtifactStrategy",
    "LatestBlessedModelStrategy",
    "Node",
    "Output",
    "OutputPropertiesPath",
    "OutputUri",
    "Parameter",
    "ParameterValue",
    "Pipeline",
    "Resolver",
    "Resources",
    "RuntimeParameter",
    "SpanRangeStrategy",
    "component",
    "container_component",
]
