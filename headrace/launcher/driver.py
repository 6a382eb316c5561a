"""The driver: resolves a node's inputs from this run, computes its cache key, finds a reusable
execution, and says why a node was or was not a cache hit."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from headrace.errors import DefinitionError, InputResolutionError
from headrace.ir import NodeIR, PipelineIR
from headrace.metadata import ExecutionRecord, Store
from headrace.types.artifact import Artifact

Artifacts = dict[str, list[Artifact]]


def check_runtime_values(ir: PipelineIR, runtime_values: Mapping[str, Any]) -> dict[str, Any]:
    """This run's runtime-parameter values, coerced to their declared types; a DefinitionError
    for a name the pipeline does not declare or a value of the wrong type."""
    declared = {p.name: p for p in ir.runtime_parameters}
    unknown = set(runtime_values) - set(declared)
    if unknown:
        raise DefinitionError(
            f"Unknown runtime parameters {sorted(unknown)}; pipeline {ir.name!r} declares "
            f"{sorted(declared) or 'none'}."
        )
    return {
        name: _coerce(declared[name].type_name, name, value)
        for name, value in runtime_values.items()
    }


def resolve_parameters(
    ir: PipelineIR, node: NodeIR, runtime_values: Mapping[str, Any]
) -> dict[str, Any]:
    """Parameter values, with runtime parameters taken from this run's values or defaults."""
    given = check_runtime_values(ir, runtime_values)
    return {
        p.name: given.get(p.runtime, p.value) if p.runtime else p.value for p in node.parameters
    }


def _coerce(type_name: str, name: str, value: Any) -> Any:
    expected = {"int": int, "float": float, "str": str, "bool": bool, "dict": dict, "list": list}
    want = expected[type_name]
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise DefinitionError(
            f"Runtime parameter {name!r} expects {type_name}, got {type(value).__name__} {value!r}."
        )
    return value


def resolve_inputs(
    store: Store,
    ir: PipelineIR,
    node: NodeIR,
    run_id: str,
    upstream: Mapping[str, Artifacts] | None = None,
) -> Artifacts:
    """Each input's artifacts: outputs of the upstream node's completed execution in this run,
    or, when `upstream` is given, the outputs it holds for that node id."""
    results: dict[str, Artifacts | None] = {}
    inputs: Artifacts = {}
    for port in node.inputs:
        if port.source_node is None:
            continue
        if port.source_node not in results:
            results[port.source_node] = (
                upstream.get(port.source_node)
                if upstream is not None
                else _outputs(store.node_result(ir.name, run_id, port.source_node))
            )
        outputs = results[port.source_node]
        if outputs is None:
            raise InputResolutionError(
                f"Node {node.id!r} input {port.name!r}: upstream node {port.source_node!r} has no "
                f"completed execution in run {run_id!r}. Run the upstream node first (a resumed "
                f"run does this in order)."
            )
        artifacts = list(outputs.get(port.source_output or "", []))
        if not artifacts and not port.optional:
            raise InputResolutionError(
                f"Node {node.id!r} input {port.name!r}: {port.source_node!r} resolved no "
                f"{port.type_name} in run {run_id!r}, and the input is required. Make the input "
                f"optional (Input[{port.type_name}] | None = None) or run what produces one first."
            )
        inputs[port.name] = artifacts
    return inputs


def _outputs(record: ExecutionRecord | None) -> Artifacts | None:
    return None if record is None else record.outputs


def cache_material(
    node: NodeIR, parameters: Mapping[str, Any], inputs: Artifacts, beam_args: tuple[str, ...]
) -> dict[str, Any]:
    """What determines the outputs: node and component identity and code (including the content
    of file parameters such as a module file), parameters, Beam settings, input ids."""
    material = {
        # The node id too: two nodes of one component with equal inputs stay separate, as in TFX.
        "node": node.id,
        "component": node.component,
        "executor": f"{node.executor.module}:{node.executor.qualname}",
        "code": node.code_hash,
        "parameters": parameters,
        "files": {p: file_digest(node, p, parameters.get(p)) for p in node.file_parameters},
        "beam_args": list(beam_args),
        "inputs": {port: [a.id for a in arts] for port, arts in sorted(inputs.items())},
    }
    if node.container is not None:
        # A container's code is its image: `.with_image(...)` changes what runs. (Only for
        # container nodes, so no other node's key changes.)
        material["image"] = node.image or node.container.image
    return material


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_of(material: Mapping[str, Any]) -> str:
    return _digest(material)


def key_parts(material: Mapping[str, Any]) -> dict[str, str]:
    """A short digest of each part of the key, recorded with an execution so that a later miss
    can say what changed since (`find_reusable`)."""
    return {part: _digest(value)[:16] for part, value in material.items() if part != "inputs"}


def cache_key(
    node: NodeIR, parameters: Mapping[str, Any], inputs: Artifacts, beam_args: tuple[str, ...]
) -> str:
    """Hash of `cache_material`."""
    return key_of(cache_material(node, parameters, inputs, beam_args))


def file_digest(node: NodeIR, parameter: str, path: Any) -> str | None:
    """What a file parameter's content is, for the cache key: a file's SHA-256, or for a
    directory (ExampleGen's `input_base`) a fingerprint of every file's path, size and mtime
    under it, as TFX fingerprints input spans. Object-store URIs are keyed by name only."""
    if path is None:
        return None
    if "://" in str(path):
        return str(path)
    try:
        if os.path.isdir(path):
            return _tree_fingerprint(path)
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as exc:
        raise DefinitionError(
            f"Node {node.id!r} parameter {parameter!r}: cannot read {path!r} ({exc.strerror}). "
            f"Check the path; relative paths are relative to {os.getcwd()}."
            + _IN_IMAGE_HINT.format(dir=os.path.dirname(os.path.abspath(path)))
        ) from exc


# In a container step a missing file most often means an image without the user's files.
_IN_IMAGE_HINT = (
    " In a container step the image must hold it at that path: build your image with "
    "`headrace image build --context DIR` (DIR holding the pipeline and its files, e.g. {dir}) "
    "and compile with `--image` set to the name it prints."
)


def _tree_fingerprint(root: str) -> str:
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(directory, name)
            st = os.stat(path)
            entry = f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}\n"
            digest.update(entry.encode())
    return "tree:" + digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class CacheDecision:
    hit: ExecutionRecord | None
    reason: str


def find_reusable(
    store: Store,
    ir: PipelineIR,
    node: NodeIR,
    key: str,
    parts: Mapping[str, str] | None = None,
    inputs: Artifacts | None = None,
) -> CacheDecision:
    """The newest COMPLETE execution with this key whose output URIs all still exist. On a miss,
    given the key's `parts` and the `inputs`, the reason says what changed since the node's
    last completed execution."""
    if not ir.enable_cache:
        return CacheDecision(hit=None, reason="cache disabled for this pipeline")
    candidates = store.find_cached(ir.name, node.component, key)
    if not candidates:
        reason = f"no earlier execution with cache key {key[:12]}"
        if parts is not None and inputs is not None:
            reason += _what_changed(store, ir, node, parts, inputs)
        return CacheDecision(hit=None, reason=reason)
    for record in candidates:
        missing = [a.uri for arts in record.outputs.values() for a in arts if not _exists(a.uri)]
        if not missing:
            return CacheDecision(
                hit=record,
                reason=f"same cache key {key[:12]} as execution {record.id} of run {record.run_id}",
            )
    return CacheDecision(
        hit=None,
        reason=f"execution {candidates[0].id} had cache key {key[:12]} but its output {missing[0]} "
        f"is gone",
    )


def _exists(uri: str) -> bool:
    # Object-store URIs (gs://, s3://) are trusted: checking them needs their client libraries.
    return bool(urlsplit(uri).scheme) or os.path.exists(uri)


# What each part of the key is, in a user's words.
_PART_NAMES = {
    "parameters": "a parameter",
    "files": "the content of a file parameter (module file or input data)",
    "code": "the component's code",
    "executor": "the component's executor",
    "beam_args": "the Beam arguments",
    "image": "the container image",
}


def _what_changed(
    store: Store, ir: PipelineIR, node: NodeIR, parts: Mapping[str, str], inputs: Artifacts
) -> str:
    previous = store.latest_complete(ir.name, node.id)
    if previous is None:
        return ""
    changes = []
    for port in sorted(set(inputs) | set(previous.inputs)):
        was = [a.id for a in previous.inputs.get(port, [])]
        now = [a.id for a in inputs.get(port, [])]
        if was != now:
            changes.append(f"input {port!r} changed ({_ids(was)} -> {_ids(now)})")
    before = previous.cache_parts
    changes += [
        f"{name} changed"
        for part, name in _PART_NAMES.items()
        if part in before and before.get(part) != parts.get(part)
    ]
    if not changes:
        return ""
    return f"; since execution {previous.id} of run {previous.run_id}: {', '.join(changes)}"


def _ids(ids: list[int | None]) -> str:
    if not ids:
        return "none"
    return ("artifact " if len(ids) == 1 else "artifacts ") + ", ".join(map(str, ids))
