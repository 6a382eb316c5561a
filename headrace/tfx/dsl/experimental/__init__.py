"""`tfx.dsl.experimental`: RuntimeParameter and strategies."""

from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.dsl.experimental import *  # noqa: F403
from headrace.tfx.v1.dsl.experimental import __all__ as __all__

__getattr__ = module_getattr("dsl.experimental", ())
