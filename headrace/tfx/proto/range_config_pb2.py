"""`tfx.proto.range_config_pb2`: TFX's range_config protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("range_config"))

__getattr__ = module_getattr("proto.range_config_pb2", ())
