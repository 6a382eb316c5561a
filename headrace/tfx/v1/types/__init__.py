"""`tfx.v1.types`: artifact types."""

from headrace.dsl import Channel as BaseChannel
from headrace.tfx.custom import ComponentSpec
from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.types import standard_artifacts
from headrace.types import Artifact

__all__ = ["Artifact", "BaseChannel", "ComponentSpec", "standard_artifacts"]

__getattr__ = module_getattr("v1.types", ("standard_artifacts",))
