"""What one cluster step carries of the pipeline: its component *definition* (shared by every node
of the same configuration: one Argo template) and its node *instance* (id, parameters, which
producers feed its inputs: the DAG task's argument) — never the whole IR, so a pod's payload does
not grow with the pipeline. `step_ir` puts the two back together as a one-node PipelineIR, which
is all `launch()` reads (the pipeline's name and cache switch, the node, its runtime parameters).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import zlib
from typing import Any

from headrace.errors import DefinitionError
from headrace.ir.codec import from_jsonable, to_jsonable
from headrace.ir.model import (
    SCHEMA_VERSION,
    InputIR,
    NodeIR,
    ParameterIR,
    PipelineIR,
    RuntimeParameterIR,
)

# Fields that differ between nodes of one component configuration, that name places on the
# compiling machine (defined_at) or are for people only (description), and the Beam arguments
# (a step gets its effective ones as --beam-arg flags): not in a definition.
_INSTANCE_FIELDS = (
    "id",
    "parameters",
    "inputs",
    "upstream",
    "defined_at",
    "description",
    "beam_args",
)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def definition_json(ir: PipelineIR, node: NodeIR) -> str:
    """The node's component configuration: equal for nodes that can share one template."""
    data = {k: v for k, v in to_jsonable(node).items() if k not in _INSTANCE_FIELDS}
    data["ports"] = [
        {"name": i.name, "type_name": i.type_name, "optional": i.optional} for i in node.inputs
    ]
    used = {p.runtime for p in node.parameters if p.runtime}
    return _compact(
        {
            "schema_version": SCHEMA_VERSION,
            "pipeline": ir.name,
            "enable_cache": ir.enable_cache,
            "runtime_parameters": [to_jsonable(r) for r in ir.runtime_parameters if r.name in used],
            "node": data,
        }
    )


def instance_json(node: NodeIR) -> str:
    """The node itself: id, parameter values (runtime ones by name) and input producers."""
    data: dict[str, Any] = {"id": node.id}
    if node.parameters:
        data["parameters"] = {p.name: p.value for p in node.parameters}
    runtime = {p.name: p.runtime for p in node.parameters if p.runtime}
    if runtime:
        data["runtime"] = runtime
    wired = {i.name: [i.source_node, i.source_output] for i in node.inputs if i.source_node}
    if wired:
        data["inputs"] = wired
    return _compact(data)


def step_ir(definition: str, instance: str) -> PipelineIR:
    """The one-node PipelineIR a step launches, from its definition and instance JSON."""
    try:
        d, i = json.loads(definition), json.loads(instance)
    except ValueError as exc:
        raise DefinitionError(f"A step's node definition or instance is not JSON: {exc}.") from exc
    if not isinstance(d, dict) or d.get("schema_version") != SCHEMA_VERSION:
        version = d.get("schema_version") if isinstance(d, dict) else None
        raise DefinitionError(
            f"This step's node definition has schema version {version!r}; this Headrace reads "
            f"version {SCHEMA_VERSION}. Compile the pipeline again with this Headrace version."
        )
    if not isinstance(i, dict) or not isinstance(i.get("id"), str):
        raise DefinitionError(f"A step's node instance names no node id: {instance[:200]!r}.")
    node_data = dict(d["node"])
    ports = node_data.pop("ports")
    wired = i.get("inputs", {})
    runtime = i.get("runtime", {})
    inputs = tuple(
        InputIR(
            name=p["name"],
            type_name=p["type_name"],
            optional=p["optional"],
            source_node=wired.get(p["name"], [None, None])[0],
            source_output=wired.get(p["name"], [None, None])[1],
        )
        for p in ports
    )
    parameters = tuple(
        ParameterIR(name=name, value=value, runtime=runtime.get(name))
        for name, value in i.get("parameters", {}).items()
    )
    base = from_jsonable(
        NodeIR, {**node_data, "id": i["id"], "description": "", "inputs": [], "parameters": []}
    )
    node = dataclasses.replace(
        base,
        inputs=inputs,
        parameters=parameters,
        upstream=tuple(sorted({s for s, _ in wired.values()})),
    )
    return PipelineIR(
        name=d["pipeline"],
        nodes=(node,),
        enable_cache=d["enable_cache"],
        runtime_parameters=tuple(
            from_jsonable(RuntimeParameterIR, r) for r in d["runtime_parameters"]
        ),
    )


_GRAPH_PREFIX = "zlib+base64:"


def encode_graph(ir: PipelineIR) -> str:
    """The run's DAG (each node's id, component, upstream ids, kind) for the run step, packed:
    a fan-out of 10,000 nodes is ~700 KB of JSON but a few tens of KB compressed, well under
    the 256 KiB of a workflow's annotations."""
    rows = [[n.id, n.component, list(n.upstream), n.kind] for n in ir.nodes]
    packed = zlib.compress(_compact(rows).encode(), 9)
    return _GRAPH_PREFIX + base64.b64encode(packed).decode()


def decode_graph(text: str) -> list[dict[str, Any]]:
    """What `encode_graph` packed: one dict per node (id, component, upstream, kind)."""
    if not text.startswith(_GRAPH_PREFIX):
        raise DefinitionError(
            f"The run graph does not start with {_GRAPH_PREFIX!r}; was it written by another "
            f"Headrace version? Compile the pipeline again."
        )
    try:
        rows = json.loads(zlib.decompress(base64.b64decode(text[len(_GRAPH_PREFIX) :])))
    except (ValueError, zlib.error) as exc:
        raise DefinitionError(f"The run graph cannot be read: {exc}.") from exc
    return [{"id": r[0], "component": r[1], "upstream": tuple(r[2]), "kind": r[3]} for r in rows]
