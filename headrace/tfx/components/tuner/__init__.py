"""`tfx.components.tuner`: Tuner modules module files import from."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("components.tuner", ("component",))
