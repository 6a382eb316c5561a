"""`tfx.dsl.components.base.base_component`: BaseComponent."""

from headrace.tfx.custom import BaseComponent
from headrace.tfx.unsupported import module_getattr

__all__ = ["BaseComponent"]

__getattr__ = module_getattr("dsl.components.base.base_component", ())
