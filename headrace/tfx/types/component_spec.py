"""`tfx.types.component_spec`: ComponentSpec, ChannelParameter, ExecutionParameter."""

from headrace.tfx.custom import ChannelParameter, ComponentSpec, ExecutionParameter
from headrace.tfx.unsupported import module_getattr

__all__ = ["ChannelParameter", "ComponentSpec", "ExecutionParameter"]

__getattr__ = module_getattr("types.component_spec", ())
