"""The view of an Examples artifact: splits with row counts, span/version, column types and the
shard files of each split."""

from __future__ import annotations

import os

from headrace.types.artifact import Artifact
from headrace.visuals.files import (
    NO_SPLITS,
    json_property,
    properties_html,
    split_dir,
    split_names,
    walk,
)
from headrace.visuals.markup import esc, key_values, note, number, percent, section, size, table

_SHOWN = ("split_names", "rows_per_split", "column_types", "span", "version")


def examples_html(artifact: Artifact) -> str:
    splits = split_names(artifact)
    rows = json_property(artifact, "rows_per_split")
    rows = rows if isinstance(rows, dict) else {}
    facts = [
        (name, esc(artifact.properties[name]))
        for name in ("span", "version")
        if artifact.properties.get(name) is not None
    ]
    parts = [key_values(facts)] if facts else []
    if not splits:
        parts.append(note(NO_SPLITS, kind="warn"))
    total = sum(v for v in rows.values() if isinstance(v, int))
    table_rows = []
    for split in splits:
        files = _files(split_dir(artifact, split))
        count = rows.get(split)
        table_rows.append(
            (
                esc(split),
                esc(number(count)) if isinstance(count, int) else "\u2013",
                esc(percent(count, total)) if isinstance(count, int) else "\u2013",
                esc(len(files)) if files is not None else "missing",
                esc(size(sum(n for _, n in files))) if files is not None else "\u2013",
            )
        )
    if table_rows:
        parts.append(
            table(["split", "rows", "share", "files", "size"], table_rows, numeric=[1, 2, 3, 4])
        )
    types = json_property(artifact, "column_types")
    if isinstance(types, dict) and types:
        parts.append(
            section(
                "Columns",
                table(["column", "type"], [(esc(k), esc(v)) for k, v in types.items()]),
                level=4,
            )
        )
    shards = []
    for split in splits:
        files = _files(split_dir(artifact, split))
        if files is None:
            shards.append(
                note(f"Split {split!r}: {split_dir(artifact, split)} is missing.", kind="warn")
            )
        elif files:
            shards.append(
                f"<h4>Split-{esc(split)}</h4>"
                + table(
                    ["file", "size"], [(esc(f), esc(size(n))) for f, n in files[:20]], numeric=[1]
                )
                + (note(f"… and {len(files) - 20} more files.") if len(files) > 20 else "")
            )
    if shards:
        parts.append(section("Shards", "".join(shards), level=4))
    others = properties_html(artifact, skip=_SHOWN)
    if others:
        parts.append(section("Other properties", others, level=4))
    return "".join(parts)


def _files(directory: str) -> list[tuple[str, int]] | None:
    return walk(directory) if os.path.isdir(directory) else None
