"""`tfx.v1.types.standard_artifacts`: the standard artifact types (Headrace's, same names), the
same module contents as the legacy `tfx.types.standard_artifacts`."""

from headrace.tfx.types.standard_artifacts import *  # noqa: F403
from headrace.tfx.types.standard_artifacts import __all__  # noqa: F401
from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("v1.types.standard_artifacts", ())
