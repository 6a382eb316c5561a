"""`tfx.components`: the standard components (TFX's pre-v1 import path)."""

from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.components import *  # noqa: F403
from headrace.tfx.v1.components import __all__ as __all__

__getattr__ = module_getattr("components", ("trainer", "tuner", "example_gen"))
