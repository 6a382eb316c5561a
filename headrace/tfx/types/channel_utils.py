"""`tfx.types.channel_utils`: as_channel."""

from headrace.tfx.custom import as_channel
from headrace.tfx.unsupported import module_getattr

__all__ = ["as_channel"]

__getattr__ = module_getattr("types.channel_utils", ())
