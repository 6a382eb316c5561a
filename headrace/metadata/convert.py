"""Mapping between Headrace artifacts/values and MLMD protos (types, properties, artifacts)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from ml_metadata.proto import metadata_store_pb2 as mlmd

from headrace.types.artifact import Artifact, artifact_class

_PROPERTY_TYPES = {int: mlmd.INT, float: mlmd.DOUBLE, str: mlmd.STRING}


def artifact_type(cls: type[Artifact]) -> mlmd.ArtifactType:
    proto = mlmd.ArtifactType(name=cls.TYPE_NAME)
    for name, ptype in cls.PROPERTIES.items():
        proto.properties[name] = _PROPERTY_TYPES[ptype]
    return proto


def set_value(target: mlmd.Value, value: Any) -> None:
    # bool before int: bool is an int subclass, and MLMD has a bool_value of its own.
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, dict | list):
        target.struct_value.CopyFrom(_struct(value))
    else:
        raise TypeError(
            f"property value {value!r} is {type(value).__name__}; use int, float, str, bool, "
            f"dict or list"
        )


def get_value(value: mlmd.Value) -> Any:
    kind = value.WhichOneof("value")
    if kind == "struct_value":
        data = json_format.MessageToDict(value.struct_value)
        return data["v"] if set(data) == {"v"} else data
    return getattr(value, kind) if kind else None


def _struct(value: dict | list) -> struct_pb2.Struct:
    # A Struct is a JSON object; lists ride in a one-key wrapper that get_value unwraps.
    struct = struct_pb2.Struct()
    struct.update(value if isinstance(value, dict) else {"v": value})
    return struct


def to_proto(artifact: Artifact, type_id: int) -> mlmd.Artifact:
    proto = mlmd.Artifact(type_id=type_id, uri=artifact.uri, state=mlmd.Artifact.LIVE)
    if artifact.id is not None:
        proto.id = artifact.id
    declared = type(artifact).PROPERTIES
    for key, value in artifact.properties.items():
        if value is None:
            continue
        if key in declared:
            set_value(proto.properties[key], declared[key](value))
        else:
            set_value(proto.custom_properties[key], value)
    return proto


def from_proto(proto: mlmd.Artifact, type_name: str) -> Artifact:
    properties = {k: get_value(v) for k, v in proto.custom_properties.items()}
    properties.update({k: get_value(v) for k, v in proto.properties.items()})
    return artifact_class(type_name)(proto.uri, properties, id=proto.id)
