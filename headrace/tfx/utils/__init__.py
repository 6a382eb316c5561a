"""`tfx.utils`: utilities executors use."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("utils", ("proto_utils", "json_utils"))
