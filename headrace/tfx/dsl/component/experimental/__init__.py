"""`tfx.dsl.component.experimental`: decorators and annotations."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.component.experimental", ("decorators", "annotations"))
