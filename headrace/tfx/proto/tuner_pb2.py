"""`tfx.proto.tuner_pb2`: TFX's tuner protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("tuner"))

__getattr__ = module_getattr("proto.tuner_pb2", ())
