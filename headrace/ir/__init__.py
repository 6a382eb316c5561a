"""The pipeline IR: `build(pipeline)`, the frozen IR values, the JSON codec and name rules."""

from headrace.dsl.component import ExecutorRef
from headrace.dsl.resources import Resources
from headrace.ir.beam import merge_beam_args
from headrace.ir.build import build
from headrace.ir.model import (
    SCHEMA_VERSION,
    InputIR,
    NodeIR,
    OutputIR,
    ParameterIR,
    PipelineIR,
    RuntimeParameterIR,
)
from headrace.ir.names import dns_name, name_problem

__all__ = [
    "SCHEMA_VERSION",
    "ExecutorRef",
    "InputIR",
    "NodeIR",
    "OutputIR",
    "ParameterIR",
    "PipelineIR",
    "Resources",
    "RuntimeParameterIR",
    "build",
    "dns_name",
    "merge_beam_args",
    "name_problem",
]
