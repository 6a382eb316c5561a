"""`tfx.dsl.input_resolution.strategies.latest_artifact_strategy`: LatestArtifactStrategy."""

from headrace.tfx.dsl_api import LatestArtifactStrategy
from headrace.tfx.unsupported import module_getattr

__all__ = ["LatestArtifactStrategy"]

__getattr__ = module_getattr("dsl.input_resolution.strategies.latest_artifact_strategy", ())
