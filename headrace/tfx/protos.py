"""TFX's configuration protos (`tfx.proto.TrainArgs`, `example_gen_pb2.Input`, ...) as real
protobuf message classes with TFX's full names and field names.

TFX is not installed, so its generated `*_pb2` modules are not either. The messages are declared
here field by field (the names TFX pipelines use) and built at import with protobuf's descriptor
API in a pool of their own, so they never clash with a TFX loaded in the same process. Components
turn any message into its dict (`json_format.MessageToDict`), which is how they reach the IR.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": _F.TYPE_STRING,
    "int32": _F.TYPE_INT32,
    "int64": _F.TYPE_INT64,
    "uint32": _F.TYPE_UINT32,
    "bool": _F.TYPE_BOOL,
    "float": _F.TYPE_FLOAT,
    "double": _F.TYPE_DOUBLE,
}

# file -> (proto package, {message: [(field, type, "repeated"|"", oneof or "")]},
#          {enum: [(value name, number)]}). A type that is not a scalar names a message
# (or enum) of the same package; "Outer.Inner" declares a nested message.
_FILES: dict[str, tuple[str, dict[str, list[tuple[str, str, str, str]]], dict[str, Any]]] = {
    "example_gen": (
        "tfx.components.example_gen",
        {
            "Input": [("splits", "Input.Split", "repeated", "")],
            "Input.Split": [("name", "string", "", ""), ("pattern", "string", "", "")],
            "SplitConfig": [
                ("splits", "SplitConfig.Split", "repeated", ""),
                ("partition_feature_name", "string", "", ""),
            ],
            "SplitConfig.Split": [("name", "string", "", ""), ("hash_buckets", "uint32", "", "")],
            "Output": [("split_config", "SplitConfig", "", "")],
        },
        {
            "PayloadFormat": [
                ("FORMAT_UNSPECIFIED", 0),
                ("FORMAT_TF_EXAMPLE", 6),
                ("FORMAT_TF_SEQUENCE_EXAMPLE", 7),
                ("FORMAT_PROTO", 11),
            ],
            "FileFormat": [("FILE_FORMAT_UNSPECIFIED", 0), ("FORMAT_TFRECORDS_GZIP", 5)],
        },
    ),
    "range_config": (
        "tfx.configs",
        {
            "RangeConfig": [
                ("static_range", "StaticRange", "", "range"),
                ("rolling_range", "RollingRange", "", "range"),
            ],
            "StaticRange": [
                ("start_span_number", "int32", "", ""),
                ("end_span_number", "int32", "", ""),
            ],
            "RollingRange": [
                ("start_span_number", "int32", "", ""),
                ("num_spans", "int32", "", ""),
            ],
        },
        {},
    ),
    "trainer": (
        "tfx.components.trainer",
        {
            "TrainArgs": [("num_steps", "uint32", "", ""), ("splits", "string", "repeated", "")],
            "EvalArgs": [("num_steps", "uint32", "", ""), ("splits", "string", "repeated", "")],
        },
        {},
    ),
    "tuner": (
        "tfx.components.tuner",
        {
            "TuneArgs": [("num_parallel_trials", "int32", "", "")],
        },
        {},
    ),
    "transform": (
        "tfx.components.transform",
        {
            "SplitsConfig": [
                ("analyze", "string", "repeated", ""),
                ("transform", "string", "repeated", ""),
            ],
        },
        {},
    ),
    "pusher": (
        "tfx.components.pusher",
        {
            "PushDestination": [("filesystem", "PushDestination.Filesystem", "", "destination")],
            "PushDestination.Filesystem": [
                ("base_directory", "string", "", ""),
                ("versioning", "Versioning", "", ""),
            ],
        },
        {"Versioning": [("AUTO", 0), ("UNIX_TIMESTAMP", 1)]},
    ),
    "infra_validator": (
        "tfx.components.infra_validator",
        {
            "ServingSpec": [
                ("tensorflow_serving", "TensorFlowServing", "", "serving_binary"),
                ("local_docker", "LocalDockerConfig", "", "serving_platform"),
                ("kubernetes", "KubernetesConfig", "", "serving_platform"),
                ("model_name", "string", "", ""),
            ],
            "TensorFlowServing": [
                ("tags", "string", "repeated", ""),
                ("image_name", "string", "", ""),
            ],
            "LocalDockerConfig": [
                ("client_timeout_seconds", "int32", "", ""),
                ("client_base_url", "string", "", ""),
                ("client_api_version", "string", "", ""),
            ],
            "KubernetesConfig": [
                ("service_account_name", "string", "", ""),
                ("active_deadline_seconds", "int64", "", ""),
            ],
            "ValidationSpec": [
                ("max_loading_time_seconds", "int32", "", ""),
                ("num_tries", "int32", "", ""),
            ],
            "RequestSpec": [
                ("tensorflow_serving", "TensorFlowServingRequestSpec", "", "kind"),
                ("split_name", "string", "", ""),
                ("num_examples", "int32", "", ""),
            ],
            "TensorFlowServingRequestSpec": [("signature_names", "string", "repeated", "")],
        },
        {},
    ),
    "bulk_inferrer": (
        "tfx.components.bulk_inferrer",
        {
            "DataSpec": [("example_splits", "string", "repeated", "")],
            "ModelSpec": [
                ("tag", "string", "repeated", ""),
                ("model_signature_name", "string", "repeated", ""),
            ],
        },
        {},
    ),
    "kubeflow": (
        "tfx.orchestration.kubeflow.proto",
        {
            "ConfigValue": [
                ("value", "string", "", "value_from"),
                ("environment_variable", "string", "", "value_from"),
            ],
            "KubeflowGrpcMetadataConfig": [
                ("grpc_service_host", "ConfigValue", "", ""),
                ("grpc_service_port", "ConfigValue", "", ""),
            ],
            "KubeflowMetadataConfig": [
                ("grpc_config", "KubeflowGrpcMetadataConfig", "", "connection"),
                ("mysql_db_service_host", "ConfigValue", "", ""),
                ("mysql_db_service_port", "ConfigValue", "", ""),
                ("mysql_db_name", "ConfigValue", "", ""),
                ("mysql_db_user", "ConfigValue", "", ""),
                ("mysql_db_password", "ConfigValue", "", ""),
            ],
        },
        {},
    ),
}

_POOL = descriptor_pool.DescriptorPool()


def _build_file(stem: str) -> dict[str, Any]:
    package, messages, enums = _FILES[stem]
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"headrace/tfx/{stem}.proto", package=package, syntax="proto3"
    )
    for enum_name, values in enums.items():
        enum = proto.enum_type.add(name=enum_name)
        for value_name, number in values:
            enum.value.add(name=value_name, number=number)
    declared: dict[str, descriptor_pb2.DescriptorProto] = {}
    for name in messages:  # outer messages are listed before their nested ones
        outer, _, inner = name.partition(".")
        declared[name] = (
            declared[outer].nested_type.add(name=inner)
            if inner
            else proto.message_type.add(name=name)
        )
    for name, fields in messages.items():
        message = declared[name]
        oneofs: dict[str, int] = {}
        for number, (field, kind, label, oneof) in enumerate(fields, start=1):
            entry = message.field.add(name=field, number=number, json_name=field)
            entry.label = _F.LABEL_REPEATED if label == "repeated" else _F.LABEL_OPTIONAL
            if kind in _SCALARS:
                entry.type = _SCALARS[kind]
            else:
                entry.type = _F.TYPE_ENUM if kind in enums else _F.TYPE_MESSAGE
                entry.type_name = f".{package}.{kind}"
            if oneof:
                if oneof not in oneofs:
                    oneofs[oneof] = len(message.oneof_decl)
                    message.oneof_decl.add(name=oneof)
                entry.oneof_index = oneofs[oneof]
    built = _POOL.Add(proto)
    classes: dict[str, Any] = {}
    for name in messages:
        if "." not in name:
            classes[name] = message_factory.GetMessageClass(built.message_types_by_name[name])
    for enum_name in enums:
        classes[enum_name] = _Enum(built.enum_types_by_name[enum_name])
    return classes


class _Enum:
    """A top-level proto enum as `*_pb2` modules expose it: `Versioning.Value("AUTO")`."""

    def __init__(self, descriptor: Any) -> None:
        self.DESCRIPTOR = descriptor
        for value in descriptor.values:
            setattr(self, value.name, value.number)

    def Value(self, name: str) -> int:
        return int(self.DESCRIPTOR.values_by_name[name].number)

    def Name(self, number: int) -> str:
        return str(self.DESCRIPTOR.values_by_number[number].name)


_BUILT: dict[str, dict[str, Any]] = {stem: _build_file(stem) for stem in _FILES}


def messages(stem: str) -> dict[str, Any]:
    """The message classes (and enums) of one TFX proto file, e.g. messages("trainer")."""
    return _BUILT[stem]


def all_messages() -> dict[str, Any]:
    """Every message and enum by its name in `tfx.v1.proto`."""
    merged: dict[str, Any] = {}
    for classes in _BUILT.values():
        merged.update(classes)
    return merged
