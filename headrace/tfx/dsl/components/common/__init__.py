"""`tfx.dsl.components.common`: Resolver and Importer."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("dsl.components.common", ("resolver", "importer"))
