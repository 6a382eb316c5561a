"""`tfx.components.example_gen.base_example_gen_executor`: BaseExampleGenExecutor."""

from headrace.tfx.example_gen_custom import BaseExampleGenExecutor
from headrace.tfx.unsupported import module_getattr

__all__ = ["BaseExampleGenExecutor"]

__getattr__ = module_getattr("components.example_gen.base_example_gen_executor", ())
