"""`artifact_html`: the view of one artifact, chosen by its MLMD type name. A view that cannot
read its files shows a note instead; nothing raises out of here."""

from __future__ import annotations

import logging
from collections.abc import Callable

from headrace.types.artifact import Artifact
from headrace.visuals.anomalies import anomalies_html
from headrace.visuals.blessing import blessing_html
from headrace.visuals.evaluation import evaluation_html
from headrace.visuals.examples import examples_html
from headrace.visuals.files import generic_html, properties_html
from headrace.visuals.markup import esc, note, section
from headrace.visuals.schema import schema_html
from headrace.visuals.statistics import statistics_html

log = logging.getLogger(__name__)

# View functions by type name; the bool says whether the view shows the properties itself.
VIEWS: dict[str, tuple[Callable[[Artifact], str], bool]] = {
    "Examples": (examples_html, True),
    "ExampleStatistics": (statistics_html, False),
    "Schema": (schema_html, False),
    "ExampleAnomalies": (anomalies_html, False),
    "ModelEvaluation": (evaluation_html, False),
    "ModelBlessing": (blessing_html, True),
    "InfraBlessing": (blessing_html, True),
}


def artifact_html(artifact: Artifact) -> str:
    """An HTML fragment (no <html> wrapper) showing `artifact`: its type, URI and a view of its
    contents by type (statistics, schema, anomalies, metrics, blessing, ...); any other type
    shows its properties and files."""
    view, shows_properties = VIEWS.get(artifact.TYPE_NAME, (generic_html, True))
    ident = f" #{artifact.id}" if artifact.id is not None else ""
    header = (
        f'<p class="muted">{esc(artifact.TYPE_NAME)}{esc(ident)} at '
        f"<code>{esc(artifact.uri)}</code></p>"
    )
    try:
        body = view(artifact)
    except Exception as exc:  # unreadable or missing files: the page still shows the rest
        log.debug("cannot render %s at %s", artifact.TYPE_NAME, artifact.uri, exc_info=True)
        body = note(
            f"Cannot show this {artifact.TYPE_NAME}: {type(exc).__name__}: {exc}", kind="warn"
        )
        shows_properties = False
    if not shows_properties:
        props = properties_html(artifact, skip=("split_names",))
        if props:
            body += section("Properties", props, level=4)
    return f'<div class="artifact">{header}{body}</div>'
