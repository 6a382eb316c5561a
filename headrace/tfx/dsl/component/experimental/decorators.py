"""`tfx.dsl.component.experimental.decorators`: component."""

from headrace.tfx.dsl_api import component
from headrace.tfx.unsupported import module_getattr

__all__ = ["component"]

__getattr__ = module_getattr("dsl.component.experimental.decorators", ())
