"""`tfx.v1`: TFX's public API (`from tfx import v1 as tfx`), served by Headrace."""

from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1 import components, dsl, orchestration, proto, types

__all__ = ["components", "dsl", "orchestration", "proto", "types"]

__getattr__ = module_getattr("v1", ())
