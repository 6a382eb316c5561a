"""`tfx.dsl.input_resolution`: resolver strategies."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.input_resolution", ("strategies",))
