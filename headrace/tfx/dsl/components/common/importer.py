"""`tfx.dsl.components.common.importer`: Importer."""

from headrace.tfx.importer import Importer
from headrace.tfx.unsupported import module_getattr

__all__ = ["Importer"]

__getattr__ = module_getattr("dsl.components.common.importer", ())
