"""`tfx.components.trainer`: Trainer modules module files import from."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("components.trainer", ("fn_args_utils", "executor"))
