"""`tfx.v1.types`: artifact types."""

from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.types import standard_artifacts

__all__ = ["standard_artifacts"]

__getattr__ = module_getattr("v1.types", ("standard_artifacts",))
