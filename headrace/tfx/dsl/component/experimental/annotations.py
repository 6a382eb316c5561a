"""`tfx.dsl.component.experimental.annotations`: InputArtifact, OutputArtifact, Parameter."""

from headrace.tfx.dsl_api import (
    BeamComponentParameter,
    InputArtifact,
    OutputArtifact,
    OutputDict,
    Parameter,
)
from headrace.tfx.unsupported import module_getattr

__all__ = ["BeamComponentParameter", "InputArtifact", "OutputArtifact", "OutputDict", "Parameter"]

__getattr__ = module_getattr("dsl.component.experimental.annotations", ())
