"""`tfx.components.tuner.component`: TunerFnResult for tuner_fn module files."""

from headrace.components import TunerFnResult
from headrace.tfx.components_api import Tuner
from headrace.tfx.unsupported import module_getattr

__all__ = ["Tuner", "TunerFnResult"]

__getattr__ = module_getattr("components.tuner.component", ())
