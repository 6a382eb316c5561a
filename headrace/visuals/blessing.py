"""The view of a ModelBlessing or InfraBlessing: blessed or not, why, and what it is about."""

from __future__ import annotations

import os

from headrace.types.artifact import Artifact
from headrace.visuals.files import is_local, local_path, properties_html
from headrace.visuals.markup import esc, section

# TFX's marker files: the Evaluator writes BLESSED, the InfraValidator INFRA_BLESSED.
_BLESSED_FILES = ("BLESSED", "INFRA_BLESSED")


def blessed(artifact: Artifact) -> bool | None:
    """The `blessed` property (a bool, or TFX's int 1/0); else the marker files; None if neither."""
    value = artifact.properties.get("blessed")
    if value is not None:
        return value is True or value == 1
    if is_local(artifact.uri):
        directory = local_path(artifact.uri)
        if any(os.path.exists(os.path.join(directory, f)) for f in _BLESSED_FILES):
            return True
        if any(os.path.exists(os.path.join(directory, "NOT_" + f)) for f in _BLESSED_FILES):
            return False
    return None


def blessing_html(artifact: Artifact) -> str:
    verdict = blessed(artifact)
    if verdict is None:
        head = '<p class="verdict bad">Unknown: no blessed property and no marker file</p>'
    else:
        word, kind = ("Blessed", "good") if verdict else ("Not blessed", "bad")
        head = f'<p class="verdict {kind}">{word}</p>'
    reason = artifact.properties.get("reason")
    if reason:
        head += f"<p><strong>Why:</strong> {esc(reason)}</p>"
    details = properties_html(artifact, skip=("blessed", "reason"))
    return head + (section("Details", details, level=4) if details else "")
