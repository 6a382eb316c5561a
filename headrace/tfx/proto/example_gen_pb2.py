"""`tfx.proto.example_gen_pb2`: TFX's example_gen protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("example_gen"))

__getattr__ = module_getattr("proto.example_gen_pb2", ())
