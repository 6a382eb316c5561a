"""Splits of a split artifact (Examples, ExampleStatistics, ExampleAnomalies): their names, their
`Split-<name>/` directories, and the selection a component's `exclude_splits` leaves."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

from headrace.components.data_errors import DataError
from headrace.types import Artifact


def encode_split_names(names: Iterable[str]) -> str:
    """The `split_names` property value, as TFX writes it: a JSON list, e.g. '["train", "eval"]'."""
    return json.dumps(list(names))


def split_names(artifact: Artifact) -> list[str]:
    """The split names an artifact records in its `split_names` property, in their order."""
    raw = artifact.properties.get("split_names")
    what = f"{type(artifact).__name__} artifact at {artifact.uri}"
    if raw is None:
        raise DataError(
            f"The {what} has no 'split_names' property; the component that wrote it must set "
            f'it to a JSON list such as \'["train", "eval"]\'.'
        )
    try:
        names = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise DataError(f"The {what} has split_names {raw!r}, which is not JSON: {exc}.") from exc
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise DataError(
            f"The {what} has split_names {raw!r}; expected a non-empty JSON list of split names."
        )
    return names


def split_uri(artifact: Artifact, split: str) -> str:
    """The directory of one split: `<uri>/Split-<name>` (the TFX layout)."""
    return os.path.join(artifact.uri, f"Split-{split}")


def select_splits(
    artifact: Artifact, exclude_splits: Sequence[str] | None, *, component: str
) -> list[str]:
    """The artifact's splits minus `exclude_splits`, in the artifact's order.

    Excluding a split the artifact does not have is an error rather than a no-op (as in TFX):
    it is almost always a typo, and ignoring it would process data the user meant to skip.
    """
    names = split_names(artifact)
    excluded = list(exclude_splits or [])
    unknown = [s for s in excluded if s not in names]
    if unknown:
        raise DataError(
            f"{component}: exclude_splits names {unknown}, but the input has only the splits "
            f"{names}. Fix the names in exclude_splits."
        )
    selected = [s for s in names if s not in excluded]
    if not selected:
        raise DataError(
            f"{component}: exclude_splits={excluded} excludes every split of the input "
            f"({names}); leave at least one."
        )
    return selected
