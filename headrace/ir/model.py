"""The pipeline IR: frozen, JSON-serializable values that the runner and the compiler read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from headrace.dsl.component import ExecutorRef
from headrace.dsl.container import ContainerSpec
from headrace.dsl.resources import Resources
from headrace.errors import DefinitionError

SCHEMA_VERSION = 1
# Field metadata: the JSON codec leaves the field out while it holds its default.
OMIT_DEFAULT = {"omit_default": True}


@dataclass(frozen=True, kw_only=True)
class InputIR:
    name: str
    type_name: str
    source_node: str | None  # None: an optional input left unwired
    source_output: str | None
    optional: bool = False


@dataclass(frozen=True, kw_only=True)
class OutputIR:
    name: str
    type_name: str


@dataclass(frozen=True, kw_only=True)
class ParameterIR:
    name: str
    value: Any  # JSON value; the default when `runtime` names a runtime parameter
    runtime: str | None = None


@dataclass(frozen=True, kw_only=True)
class RuntimeParameterIR:
    name: str
    type_name: str  # int, float, str, bool, dict, list
    default: Any


@dataclass(frozen=True, kw_only=True)
class NodeIR:
    id: str
    component: str
    description: str
    executor: ExecutorRef
    code_hash: str
    inputs: tuple[InputIR, ...]
    outputs: tuple[OutputIR, ...]
    parameters: tuple[ParameterIR, ...]
    file_parameters: tuple[str, ...] = ()
    resources: Resources = field(default_factory=Resources)
    image: str | None = None
    beam_args: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    defined_at: str = ""
    kind: str = "component"  # or "resolver": outputs found in ML Metadata, nothing executed
    # A container component's image, command and args (kind "container"). Left out of the JSON
    # when absent (OMIT_DEFAULT), so the IR of pipelines without one is unchanged.
    container: ContainerSpec | None = field(default=None, metadata=OMIT_DEFAULT)
    # The component runs Beam jobs: a cluster step gets Beam runner flags (and a worker pool).
    beam: bool = field(default=False, metadata=OMIT_DEFAULT)

    def output(self, name: str) -> OutputIR:
        return next(o for o in self.outputs if o.name == name)


@dataclass(frozen=True, kw_only=True)
class PipelineIR:
    name: str
    nodes: tuple[NodeIR, ...]  # topologically sorted, ties by id
    root: str | None = None
    metadata: str | None = None
    beam_args: tuple[str, ...] = ()
    enable_cache: bool = True
    description: str = ""
    runtime_parameters: tuple[RuntimeParameterIR, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def node(self, node_id: str) -> NodeIR:
        for n in self.nodes:
            if n.id == node_id:
                return n
        known = ", ".join(n.id for n in self.nodes)
        raise KeyError(f"pipeline {self.name!r} has no node {node_id!r}; its nodes: {known}")

    def downstream(self, node_id: str) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes if node_id in n.upstream)

    def to_json(self) -> str:
        from headrace.ir.codec import to_jsonable

        return json.dumps(to_jsonable(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PipelineIR:
        from headrace.ir.codec import from_jsonable

        data = json.loads(text)
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise DefinitionError(
                f"This pipeline IR has schema version {version!r}; this Headrace reads version "
                f"{SCHEMA_VERSION}. Compile the pipeline again with this Headrace version."
            )
        return from_jsonable(cls, data)

    def fingerprint(self) -> str:
        """A content hash: equal IR gives an equal fingerprint, any change a different one."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()
