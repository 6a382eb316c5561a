"""`tfx.v1.proto`: TFX's configuration protos (TrainArgs, SplitConfig, PushDestination, ...)."""

from headrace.tfx.protos import all_messages
from headrace.tfx.unsupported import module_getattr

globals().update(all_messages())

__getattr__ = module_getattr("v1.proto", ())
