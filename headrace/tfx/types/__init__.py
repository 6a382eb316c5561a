"""`tfx.types`: Channel, ComponentSpec, Artifact and the artifact helpers."""

from headrace.dsl import Channel
from headrace.tfx.custom import ComponentSpec
from headrace.tfx.unsupported import module_getattr
from headrace.types import Artifact

__all__ = ["Artifact", "Channel", "ComponentSpec"]

__getattr__ = module_getattr(
    "types", ("standard_artifacts", "artifact_utils", "channel_utils", "component_spec")
)
