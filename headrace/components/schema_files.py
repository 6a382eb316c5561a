"""Schema artifacts on disk: `schema.pbtxt` (a text `tensorflow_metadata` Schema) in the
artifact's directory, read and written the way TFX does."""

from __future__ import annotations

import os
from typing import Any

from headrace.components.data_errors import DataError
from headrace.types import Artifact
from headrace.visuals.schema import SCHEMA_FILE  # the file name the views read too


def schema_file(artifact: Artifact) -> str:
    """The schema file of a Schema artifact: `schema.pbtxt`, or else the directory's only file
    (TFX reads "the only file in the directory", so schemas written by other tools still load)."""
    import tensorflow as tf

    path = os.path.join(artifact.uri, SCHEMA_FILE)
    if tf.io.gfile.exists(path):
        return path
    files = [f for f in tf.io.gfile.listdir(artifact.uri) if not f.startswith(".")]
    if len(files) == 1:
        return os.path.join(artifact.uri, files[0])
    raise DataError(
        f"The Schema artifact at {artifact.uri} has no {SCHEMA_FILE} (files: {sorted(files)}); "
        f"it should come from SchemaGen or ImportSchemaGen."
    )


def parse_schema(text: str, source: str) -> Any:
    """A `schema_pb2.Schema` from its text format; a clear error names `source` if it is not one."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    try:
        return text_format.Parse(text, schema_pb2.Schema())
    except text_format.ParseError as exc:
        raise DataError(
            f"{source} is not a text-format tensorflow_metadata Schema: {exc}. Write it with "
            f"tfdv.write_schema_text(schema, path) or fix the reported line."
        ) from exc


def read_schema(artifact: Artifact) -> Any:
    """The `schema_pb2.Schema` a Schema artifact holds."""
    import tensorflow as tf

    path = schema_file(artifact)
    with tf.io.gfile.GFile(path, "r") as f:
        return parse_schema(f.read(), path)


def write_schema(schema: Any, artifact: Artifact) -> str:
    """Write `schema` as `<uri>/schema.pbtxt`; returns the path."""
    import tensorflow_data_validation as tfdv

    path = os.path.join(artifact.uri, SCHEMA_FILE)
    tfdv.write_schema_text(schema, path)
    return path
