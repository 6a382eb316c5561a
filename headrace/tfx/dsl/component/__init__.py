"""`tfx.dsl.component`: the function-component decorator (pre-v1 path)."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.component", ("experimental",))
