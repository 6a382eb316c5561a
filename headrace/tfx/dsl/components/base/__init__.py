"""`tfx.dsl.components.base`: BaseComponent and friends."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr(
    "dsl.components.base",
    ("base_component", "executor_spec", "base_executor", "base_beam_executor", "base_driver"),
)
