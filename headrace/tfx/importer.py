"""`tfx.dsl.Importer`: an existing file or directory as an artifact of a given type (output
`result`), e.g. a hand-written schema or a pre-trained model.

Headrace gives every output its own directory and publishes only what an execution wrote, so
the importer copies `source_uri` into its output (TFX registers the URI in place). The copy's
content is the source's at import time; a changed source is imported again (`reimport`) because
the file's content is part of the cache key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from typing import Any

from headrace.dsl import Node
from headrace.dsl.component import (
    Component,
    ComponentSpec,
    ExecutorRef,
    ParameterSpec,
)
from headrace.dsl.node import call_site
from headrace.errors import DefinitionError
from headrace.types import Artifact
from headrace.types.artifact import artifact_class


def Importer(
    source_uri: str,
    artifact_type: type[Artifact],
    reimport: bool = False,
    properties: dict[str, Any] | None = None,
    custom_properties: dict[str, Any] | None = None,
    output_key: str | None = None,
) -> Node:
    if not (isinstance(artifact_type, type) and issubclass(artifact_type, Artifact)):
        raise DefinitionError(
            f"Importer: artifact_type {artifact_type!r} must be an artifact class such as "
            f"tfx.types.standard_artifacts.Schema."
        )
    if not isinstance(source_uri, str) or not source_uri:
        raise DefinitionError("Importer: source_uri must be a path to a file or directory.")
    key = output_key or "result"
    component = by_type.get(artifact_type.TYPE_NAME, key)
    return Node(
        component,
        {
            "source_uri": source_uri,
            "properties": {**(properties or {}), **(custom_properties or {})},
        },
        call_site(),
    ).with_id("Importer")


def _execute(source_uri: str, properties: dict[str, Any], **outputs: Artifact) -> None:
    (artifact,) = outputs.values()
    if not os.path.exists(source_uri):
        raise DefinitionError(
            f"Importer: source_uri {source_uri!r} does not exist where the node runs."
        )
    os.makedirs(artifact.uri, exist_ok=True)
    if os.path.isdir(source_uri):
        shutil.copytree(source_uri, artifact.uri, dirs_exist_ok=True)
    else:
        shutil.copy2(source_uri, os.path.join(artifact.uri, os.path.basename(source_uri)))
    artifact.properties.update(properties)


class _ByType:
    """`by_type.<TypeName>__<key>` is the importer component for that type and output key, so a
    step finds it again by module and qualified name (headrace.tfx.importer.by_type.X__result)."""

    def get(self, type_name: str, key: str) -> Component:
        return getattr(self, f"{type_name}__{key}")

    def __getattr__(self, attribute: str) -> Component:
        if attribute.startswith("_") or "__" not in attribute:
            raise AttributeError(attribute)
        type_name, _, key = attribute.partition("__")
        spec = ComponentSpec(
            name="Importer",
            description=f"Imports an existing {type_name} (copied into the output {key!r}).",
            inputs={},
            outputs={key: artifact_class(type_name)},
            parameters={
                "source_uri": ParameterSpec(type=str),
                "properties": ParameterSpec(type=dict, default=None),
            },
            executor=ExecutorRef(module=__name__, qualname=f"by_type.{attribute}"),
            code_hash=hashlib.sha256(f"importer:{type_name}:{key}".encode()).hexdigest()[:16],
            file_parameters=("source_uri",),
        )
        component = Component(_execute, spec)
        setattr(self, attribute, component)
        return component


by_type = _ByType()
