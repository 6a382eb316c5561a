"""`tfx.dsl.components`: component building blocks."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.components", ("base", "common"))
