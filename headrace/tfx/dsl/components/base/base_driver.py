"""`tfx.dsl.components.base.base_driver`: BaseDriver."""

from headrace.tfx.custom import BaseDriver
from headrace.tfx.unsupported import module_getattr

__all__ = ["BaseDriver"]

__getattr__ = module_getattr("dsl.components.base.base_driver", ())
