"""HTML views of artifacts: one self-contained page per artifact type, shared by the launcher's
run summaries, the interactive context and the run report."""

from headrace.visuals.artifacts import artifact_html
from headrace.visuals.facets import statistics_facets_html
from headrace.visuals.node import node_page
from headrace.visuals.page import embedded, page

__all__ = ["artifact_html", "embedded", "node_page", "page", "statistics_facets_html"]
