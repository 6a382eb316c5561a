"""`tfx.types.standard_artifacts`: the standard artifact types."""

from headrace.tfx.unsupported import module_getattr
from headrace.types import (
    Artifact,
    ExampleAnomalies,
    Examples,
    ExampleStatistics,
    HyperParameters,
    InferenceResult,
    InfraBlessing,
    Model,
    ModelBlessing,
    ModelEvaluation,
    ModelRun,
    PushedModel,
    Schema,
    TransformCache,
    TransformGraph,
)

__all__ = [
    "Artifact",
    "ExampleAnomalies",
    "ExampleStatistics",
    "Examples",
    "HyperParameters",
    "InferenceResult",
    "InfraBlessing",
    "Model",
    "ModelBlessing",
    "ModelEvaluation",
    "ModelRun",
    "PushedModel",
    "Schema",
    "TransformCache",
    "TransformGraph",
]

__getattr__ = module_getattr("types.standard_artifacts", ())
