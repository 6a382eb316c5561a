"""What an artifact holds on disk: its properties and a listing of its files with sizes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from headrace.types.artifact import Artifact
from headrace.visuals.markup import esc, key_values, note, number, section, size, table

# A listing stops here: a SavedModel's variables or many shards must not bloat the page.
MAX_FILES = 40


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def local_path(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


def properties_html(artifact: Artifact, *, skip: tuple[str, ...] = ()) -> str:
    """The artifact's properties (and custom properties) as a table; dicts and lists as JSON."""
    pairs = [
        (key, esc(_text(value)))
        for key, value in sorted(artifact.properties.items())
        if key not in skip and value is not None
    ]
    return key_values(pairs) if pairs else ""


def _text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float):
        return number(value)
    return str(value)


def walk(directory: str) -> list[tuple[str, int]]:
    """(path relative to `directory`, bytes) of every file under it, sorted."""
    found = []
    for parent, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(parent, name)
            try:
                found.append((os.path.relpath(path, directory), os.path.getsize(path)))
            except OSError:  # a file removed while we looked: not worth a failure
                continue
    return found


def listing_html(uri: str, *, limit: int = MAX_FILES) -> str:
    """The files under `uri` with sizes (the first `limit`, then a count of the rest); a note
    when the directory is not local or not there."""
    if not is_local(uri):
        return note(f"{uri} is not on a local filesystem; its files are not listed.")
    directory = local_path(uri)
    if not os.path.isdir(directory):
        return note(
            f"{directory} does not exist (removed, or written on another machine).", kind="warn"
        )
    files = walk(directory)
    if not files:
        return note("No files.")
    total = sum(n for _, n in files)
    rows = [(esc(name), esc(size(n))) for name, n in files[:limit]]
    more = len(files) - limit
    tail = note(f"… and {more} more files.") if more > 0 else ""
    caption = f'<p class="muted">{len(files)} file(s), {esc(size(total))} in all.</p>'
    return caption + table(["file", "size"], rows, numeric=[1]) + tail


def generic_html(artifact: Artifact) -> str:
    """Any artifact type: its properties and its files."""
    return properties_html(artifact) + listing_html(artifact.uri)


def split_names(artifact: Artifact) -> list[str]:
    """The splits an artifact records (`split_names`, a JSON list), else its `Split-*` dirs."""
    raw = artifact.properties.get("split_names")
    try:
        names = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        names = None
    if isinstance(names, list) and all(isinstance(n, str) for n in names) and names:
        return names
    directory = local_path(artifact.uri)
    if is_local(artifact.uri) and os.path.isdir(directory):
        return sorted(n[len("Split-") :] for n in os.listdir(directory) if n.startswith("Split-"))
    return []


NO_SPLITS = "No splits recorded (no split_names property, no Split-* directories)."


def split_sections(artifact: Artifact, what: str, render: Callable[[str], str]) -> str:
    """A section per split of `artifact` holding `render(split)`; a split whose `what` cannot be
    read (a missing or corrupt file) says so, and the other splits still show."""
    splits = split_names(artifact)
    if not splits:
        return note(NO_SPLITS, kind="warn")
    parts = []
    for split in splits:
        try:
            body = render(split)
        except Exception as exc:
            body = note(f"Cannot read the {what}: {exc}", kind="warn")
        parts.append(section(f"Split {split}", body))
    return "".join(parts)


def split_dir(artifact: Artifact, split: str) -> str:
    return os.path.join(local_path(artifact.uri), f"Split-{split}")


def json_property(artifact: Artifact, key: str) -> object:
    """A property holding JSON text (as TFX stores dicts), decoded; the value as is otherwise."""
    value = artifact.properties.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
