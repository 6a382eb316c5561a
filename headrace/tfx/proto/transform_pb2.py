"""`tfx.proto.transform_pb2`: TFX's transform protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("transform"))

__getattr__ = module_getattr("proto.transform_pb2", ())
