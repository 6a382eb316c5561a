"""`tfx.components.example_gen.component`: FileBasedExampleGen."""

from headrace.tfx.example_gen_custom import FileBasedExampleGen
from headrace.tfx.unsupported import module_getattr

__all__ = ["FileBasedExampleGen"]

__getattr__ = module_getattr("components.example_gen.component", ())
