"""Artifact types: the `Artifact` base class and the TFX-compatible standard types."""

from headrace.types.artifact import Artifact, artifact_class
from headrace.types.standard import (
    STANDARD_TYPES,
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
    "STANDARD_TYPES",
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
    "artifact_class",
]
