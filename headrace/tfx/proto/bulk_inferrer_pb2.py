"""`tfx.proto.bulk_inferrer_pb2`: TFX's bulk_inferrer protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("bulk_inferrer"))

__getattr__ = module_getattr("proto.bulk_inferrer_pb2", ())
