"""`tfx.dsl.input_resolution.strategies.span_range_strategy`: SpanRangeStrategy."""

from headrace.tfx.dsl_api import SpanRangeStrategy
from headrace.tfx.unsupported import module_getattr

__all__ = ["SpanRangeStrategy"]

__getattr__ = module_getattr("dsl.input_resolution.strategies.span_range_strategy", ())
