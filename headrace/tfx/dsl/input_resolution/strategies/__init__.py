"""`tfx.dsl.input_resolution.strategies`: resolver strategies."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr(
    "dsl.input_resolution.strategies",
    ("latest_artifact_strategy", "latest_blessed_model_strategy", "span_range_strategy"),
)
