"""`tfx.utils.json_utils`: dumps and loads."""

from json import dumps, loads

from headrace.tfx.unsupported import module_getattr

__all__ = ["dumps", "loads"]

__getattr__ = module_getattr("utils.json_utils", ())
