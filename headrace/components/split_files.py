"""The file pattern of each chosen split of an Examples artifact (`<uri>/Split-<name>/*`), checked
to match files on any filesystem Beam knows (local, gs://, ...)."""

from __future__ import annotations

from collections.abc import Sequence

from headrace.components.data_errors import DataError
from headrace.components.splits import split_uri
from headrace.types import Examples


def split_file_patterns(
    examples: Examples, splits: Sequence[str], *, component: str
) -> dict[str, str]:
    """`{split: pattern}` for each of `splits`; a DataError naming the artifact's recorded splits
    if one of them has no files."""
    from apache_beam.io.filesystems import FileSystems

    patterns = {}
    for split in splits:
        pattern = FileSystems.join(split_uri(examples, split), "*")
        if not FileSystems.match([pattern])[0].metadata_list:
            raise DataError(
                f"{component}: the Examples artifact at {examples.uri} has no files for split "
                f"{split!r} ({pattern} matches nothing); it records the splits "
                f"{examples.properties.get('split_names')}. Choose among those."
            )
        patterns[split] = pattern
    return patterns
