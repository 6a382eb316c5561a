"""`tfx.v1.dsl.experimental`: RuntimeParameter and the resolver strategies."""

from headrace.tfx.dsl_api import (
    LatestArtifactStrategy,
    LatestBlessedModelStrategy,
    RuntimeParameter,
    SpanRangeStrategy,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "LatestArtifactStrategy",
    "LatestBlessedModelStrategy",
    "RuntimeParameter",
    "SpanRangeStrategy",
]

__getattr__ = module_getattr("v1.dsl.experimental", ())
