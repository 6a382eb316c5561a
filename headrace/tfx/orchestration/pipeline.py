"""`tfx.orchestration.pipeline`: Pipeline."""

from headrace.tfx.dsl_api import Pipeline
from headrace.tfx.unsupported import module_getattr

__all__ = ["Pipeline"]

__getattr__ = module_getattr("orchestration.pipeline", ())
