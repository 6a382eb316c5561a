"""`tfx.dsl.components.common.resolver`: Resolver."""

from headrace.tfx.dsl_api import Resolver
from headrace.tfx.unsupported import module_getattr

__all__ = ["Resolver"]

__getattr__ = module_getattr("dsl.components.common.resolver", ())
