"""`tfx.dsl.io`: fileio."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.io", ("fileio",))
