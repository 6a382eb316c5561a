"""The view of a Schema artifact: one row per feature of `schema.pbtxt` — type, presence,
valency or shape, and domain — parsed with tensorflow_metadata's proto (no TFDV import)."""

from __future__ import annotations

import os
from typing import Any

from headrace.types.artifact import Artifact
from headrace.visuals.files import local_path
from headrace.visuals.markup import esc, note, number, table

SCHEMA_FILE = "schema.pbtxt"
_DOMAIN_VALUES = 12


def read_schema(artifact: Artifact) -> Any:
    """The `schema_pb2.Schema` in `schema.pbtxt` (or the directory's only file, as TFX reads)."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    directory = local_path(artifact.uri)
    path = os.path.join(directory, SCHEMA_FILE)
    if not os.path.exists(path):
        files = [f for f in os.listdir(directory) if not f.startswith(".")]
        if len(files) != 1:
            raise FileNotFoundError(f"{directory} has no {SCHEMA_FILE} (files: {sorted(files)})")
        path = os.path.join(directory, files[0])
    with open(path) as f:
        return text_format.Parse(f.read(), schema_pb2.Schema())


def schema_html(artifact: Artifact) -> str:
    schema = read_schema(artifact)
    domains = {d.name: d for d in schema.string_domain}
    rows = [_row(feature, domains) for feature in schema.feature]
    rows += [_sparse_row(sparse) for sparse in schema.sparse_feature]
    if not rows:
        return note("The schema has no features.")
    return table(["feature", "type", "presence", "valency / shape", "domain"], rows)


def _enum_name(message: Any, field: str) -> str:
    enum = message.DESCRIPTOR.fields_by_name[field].enum_type
    return enum.values_by_number[getattr(message, field)].name


def _row(feature: Any, domains: dict[str, Any]) -> list[str]:
    return [
        esc(feature.name),
        esc(_enum_name(feature, "type")),
        esc(_presence(feature)),
        esc(_valency(feature)),
        _domain(feature, domains),
    ]


def _sparse_row(sparse: Any) -> list[str]:
    indices = ", ".join(i.name for i in sparse.index_feature)
    return [
        esc(sparse.name),
        "sparse",
        "",
        "",
        esc(f"values {sparse.value_feature.name}, index {indices}"),
    ]


def _presence(feature: Any) -> str:
    if not feature.HasField("presence"):
        return ""
    p = feature.presence
    if p.min_fraction >= 1:
        return "required"
    parts = ["optional"]
    if p.min_fraction:
        parts.append(f"min fraction {number(p.min_fraction)}")
    if p.min_count:
        parts.append(f"min count {number(p.min_count)}")
    return ", ".join(parts)


def _valency(feature: Any) -> str:
    if feature.HasField("shape"):
        dims = [str(d.size) for d in feature.shape.dim]
        return "shape [" + ", ".join(dims) + "]"
    if feature.HasField("value_count"):
        low, high = feature.value_count.min, feature.value_count.max
        if low == high == 1:
            return "single"
        return f"{low}..{high or 'inf'} values"
    if feature.HasField("value_counts"):
        return "nested: " + ", ".join(
            f"{c.min}..{c.max or 'inf'}" for c in feature.value_counts.value_count
        )
    return ""


def _domain(feature: Any, domains: dict[str, Any]) -> str:
    kind = feature.WhichOneof("domain_info")
    if kind == "domain":  # a reference to a top-level string domain
        found = domains.get(feature.domain)
        if found is None:
            return esc(f"{feature.domain} (not defined in the schema)")
        return _values(feature.domain, list(found.value))
    if kind == "string_domain":
        return _values(feature.string_domain.name, list(feature.string_domain.value))
    if kind == "int_domain":
        d = feature.int_domain
        bounds = (
            f"[{d.min if d.HasField('min') else '-inf'}, {d.max if d.HasField('max') else 'inf'}]"
        )
        extra = " categorical" if d.is_categorical else ""
        return esc(f"int {bounds}{extra}")
    if kind == "float_domain":
        d = feature.float_domain
        low = number(d.min) if d.HasField("min") else "-inf"
        high = number(d.max) if d.HasField("max") else "inf"
        return esc(f"float [{low}, {high}]")
    if kind == "bool_domain":
        return "bool"
    return esc(kind.replace("_", " ")) if kind else ""


def _values(name: str, values: list[str]) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:_DOMAIN_VALUES])
    more = f", … {len(values) - _DOMAIN_VALUES} more" if len(values) > _DOMAIN_VALUES else ""
    label = f"{name}: " if name else ""
    return esc(f"{label}{shown}{more}")
