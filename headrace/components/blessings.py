"""Reading a blessing (ModelBlessing, InfraBlessing) the way TFX or Headrace wrote it."""

from __future__ import annotations

import os

from headrace.types import Artifact

# TFX's marker files: the Evaluator writes BLESSED, the InfraValidator INFRA_BLESSED.
_BLESSED_FILES = ("BLESSED", "INFRA_BLESSED")


def is_blessed(blessing: Artifact) -> bool:
    """The `blessed` property (TFX writes the int 1, Headrace a bool); without one, whether
    a blessed marker file is there."""
    value = blessing.properties.get("blessed")
    if value is None:
        return any(os.path.exists(os.path.join(blessing.uri, f)) for f in _BLESSED_FILES)
    return value is True or value == 1
