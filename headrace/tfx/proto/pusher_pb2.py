"""`tfx.proto.pusher_pb2`: TFX's pusher protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("pusher"))

__getattr__ = module_getattr("proto.pusher_pb2", ())
