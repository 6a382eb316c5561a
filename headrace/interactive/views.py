"""What `InteractiveContext.show` displays for artifacts: headrace.visuals' fragments (styled
without restyling the notebook), with TFDV's Facets view of each split in front of a statistics
artifact's own view."""

from __future__ import annotations

from collections.abc import Iterable

from headrace.types.artifact import Artifact
from headrace.types.standard import ExampleStatistics


def fragments(artifacts: Iterable[Artifact]) -> list[str]:
    """HTML fragments to display, in order: one or more per artifact."""
    from headrace.visuals import artifact_html, embedded, statistics_facets_html
    from headrace.visuals.files import split_names

    shown = []
    for artifact in artifacts:
        if isinstance(artifact, ExampleStatistics):
            shown += [statistics_facets_html(artifact, split=s) for s in split_names(artifact)]
        shown.append(embedded(artifact_html(artifact)))
    return shown
