"""The summary page of one node execution: who ran, how it ended, how long it took, its inputs
(as links) and one section per output artifact."""

from __future__ import annotations

from collections.abc import Mapping

from headrace.types.artifact import Artifact
from headrace.visuals.artifacts import artifact_html
from headrace.visuals.markup import esc, key_values, section, table
from headrace.visuals.page import page


def node_page(
    *,
    pipeline: str,
    run_id: str,
    node_id: str,
    component: str,
    execution_id: int,
    outcome: str,
    reason: str = "",
    seconds: float | None = None,
    inputs: Mapping[str, list[Artifact]] | None = None,
    outputs: Mapping[str, list[Artifact]] | None = None,
    input_links: Mapping[str, str] | None = None,
) -> str:
    """A self-contained HTML page for execution `execution_id` of `node_id`. `input_links` maps
    an input artifact's URI to the href to show for it (e.g. its producer's summary page)."""
    links = input_links or {}
    facts = [
        ("pipeline", esc(pipeline)),
        ("run", esc(run_id)),
        ("component", esc(component)),
        ("execution", esc(execution_id)),
        ("outcome", f"<strong>{esc(outcome)}</strong>" + (f" ({esc(reason)})" if reason else "")),
    ]
    if seconds is not None:
        facts.append(("duration", esc(f"{seconds:.2f} s")))
    body = [f"<h1>{esc(node_id)}</h1>", key_values(facts)]
    rows = []
    for port, artifacts in sorted((inputs or {}).items()):
        for a in artifacts:
            href = links.get(a.uri, a.uri)
            link = f'<a href="{esc(href)}"><code>{esc(a.uri)}</code></a>'
            rows.append((esc(port), esc(a.TYPE_NAME), link))
    if rows:
        body.append(section("Inputs", table(["input", "type", "artifact"], rows), level=2))
    for port, artifacts in sorted((outputs or {}).items()):
        for a in artifacts:
            body.append(section(f"Output {port}", artifact_html(a), level=2))
    return page(f"{node_id} - {pipeline}", "".join(body))
