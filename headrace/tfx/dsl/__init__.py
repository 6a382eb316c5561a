"""`tfx.dsl`: DSL modules (pre-v1 paths)."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr(
    "dsl", ("components", "component", "io", "input_resolution", "experimental")
)
