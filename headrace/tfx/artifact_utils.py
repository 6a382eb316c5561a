"""TFX's artifact and proto helpers that custom executors call (`artifact_utils`,
`proto_utils`), over Headrace's artifacts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from headrace.errors import DefinitionError
from headrace.types import Artifact


def get_single_instance(artifacts: Sequence[Artifact]) -> Artifact:
    if len(artifacts) != 1:
        raise DefinitionError(f"Expected exactly one artifact, got {len(artifacts)}.")
    return artifacts[0]


def get_single_uri(artifacts: Sequence[Artifact]) -> str:
    return get_single_instance(artifacts).uri


def get_split_uri(artifacts: Sequence[Artifact], split: str) -> str:
    return os.path.join(get_single_uri(artifacts), f"Split-{split}")


def encode_split_names(splits: Iterable[str]) -> str:
    return json.dumps(list(splits))


def decode_split_names(split_names: str) -> list[str]:
    return list(json.loads(split_names)) if split_names else []


def json_to_proto(json_str: str, proto: Any) -> Any:
    from google.protobuf import json_format

    return json_format.Parse(json_str, proto, ignore_unknown_fields=True)


def proto_to_json(proto: Any) -> str:
    from google.protobuf import json_format

    return str(json_format.MessageToJson(proto, preserving_proto_field_name=True, sort_keys=True))
