"""`tfx.proto`: TFX's `*_pb2` modules (pre-v1 import path)."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr(
    "proto",
    (
        "example_gen_pb2",
        "range_config_pb2",
        "trainer_pb2",
        "tuner_pb2",
        "transform_pb2",
        "pusher_pb2",
        "infra_validator_pb2",
        "bulk_inferrer_pb2",
    ),
)
