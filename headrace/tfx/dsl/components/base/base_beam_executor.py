"""`tfx.dsl.components.base.base_beam_executor`: BaseBeamExecutor."""

from headrace.tfx.custom import BaseBeamExecutor
from headrace.tfx.unsupported import module_getattr

__all__ = ["BaseBeamExecutor"]

__getattr__ = module_getattr("dsl.components.base.base_beam_executor", ())
