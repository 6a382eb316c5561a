"""`tfx.types.artifact_utils`: get_single_instance, get_single_uri, split-name helpers."""

from headrace.tfx.artifact_utils import (
    decode_split_names,
    encode_split_names,
    get_single_instance,
    get_single_uri,
    get_split_uri,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "decode_split_names",
    "encode_split_names",
    "get_single_instance",
    "get_single_uri",
    "get_split_uri",
]

__getattr__ = module_getattr("types.artifact_utils", ())
