"""`tfx.components.example_gen`: the custom-ExampleGen building blocks."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("components.example_gen", ("base_example_gen_executor", "component"))
