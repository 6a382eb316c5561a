"""`tfx.utils.proto_utils`: json_to_proto and proto_to_json."""

from headrace.tfx.artifact_utils import json_to_proto, proto_to_json
from headrace.tfx.unsupported import module_getattr

__all__ = ["json_to_proto", "proto_to_json"]

__getattr__ = module_getattr("utils.proto_utils", ())
