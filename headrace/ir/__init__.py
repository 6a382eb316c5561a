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
from headrace.ir.step import (
    decode_graph,
    definition_json,
    encode_graph,
    instance_json,
    step_ir,
)

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
    "decode_graph",
    "definition_json",
    "dns_name",
    "encode_graph",
    "instance_json",
    "merge_beam_args",
    "name_problem",
    "step_ir",
]
