"""`tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy`: the strategy."""

from headrace.tfx.dsl_api import LatestBlessedModelStrategy
from headrace.tfx.unsupported import module_getattr

__all__ = ["LatestBlessedModelStrategy"]

__getattr__ = module_getattr("dsl.input_resolution.strategies.latest_blessed_model_strategy", ())
