"""`tfx.components.trainer.fn_args_utils`: FnArgs and DataAccessor for run_fn module files."""

from headrace.components import DataAccessor, FnArgs
from headrace.tfx.unsupported import module_getattr

__all__ = ["DataAccessor", "FnArgs"]

__getattr__ = module_getattr("components.trainer.fn_args_utils", ())
