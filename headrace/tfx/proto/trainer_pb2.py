"""`tfx.proto.trainer_pb2`: TFX's trainer protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("trainer"))

__getattr__ = module_getattr("proto.trainer_pb2", ())
