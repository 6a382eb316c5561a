"""`tfx.v1.dsl`: Pipeline, Resolver, Channel, Importer and the component decorator."""

from headrace.tfx.dsl_api import Channel, Pipeline, Resolver
from headrace.tfx.importer import Importer
from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.dsl import components, experimental

__all__ = ["Channel", "Importer", "Pipeline", "Resolver", "components", "experimental"]

__getattr__ = module_getattr("v1.dsl", ("components", "experimental"))
