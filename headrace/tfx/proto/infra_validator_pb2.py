"""`tfx.proto.infra_validator_pb2`: TFX's infra_validator protos."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("infra_validator"))

__getattr__ = module_getattr("proto.infra_validator_pb2", ())
