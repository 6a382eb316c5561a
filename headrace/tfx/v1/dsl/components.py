"""`tfx.v1.dsl.components`: the function-component decorator and its annotations."""

from headrace.tfx.dsl_api import (
    BeamComponentParameter,
    InputArtifact,
    OutputArtifact,
    OutputDict,
    Parameter,
    component,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "BeamComponentParameter",
    "InputArtifact",
    "OutputArtifact",
    "OutputDict",
    "Parameter",
    "component",
]

__getattr__ = module_getattr("v1.dsl.components", ())
