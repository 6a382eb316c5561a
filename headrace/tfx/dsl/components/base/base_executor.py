"""`tfx.dsl.components.base.base_executor`: BaseExecutor."""

from headrace.tfx.custom import BaseExecutor
from headrace.tfx.unsupported import module_getattr

__all__ = ["BaseExecutor"]

__getattr__ = module_getattr("dsl.components.base.base_executor", ())
