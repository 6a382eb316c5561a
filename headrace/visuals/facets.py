"""TFDV's Facets Overview of an ExampleStatistics split, for Jupyter (`context.show(...)`).
Facets loads its web components from the network, so it is for notebooks, not for the
self-contained pages."""

from __future__ import annotations

from headrace.types.artifact import Artifact
from headrace.visuals.files import split_names
from headrace.visuals.statistics import read_split_statistics


def statistics_facets_html(
    statistics_artifact: Artifact, split: str | None = None, *, compare_split: str | None = None
) -> str:
    """Facets Overview HTML of `split` (default: the artifact's first split), side by side with
    `compare_split` if given. Imports TFDV (and so TensorFlow)."""
    from tensorflow_data_validation.utils.display_util import get_statistics_html

    names = split_names(statistics_artifact)
    chosen = split or (names[0] if names else None)
    if chosen is None or (names and chosen not in names):
        raise ValueError(
            f"statistics_facets_html: the ExampleStatistics at {statistics_artifact.uri} has the "
            f"splits {names}; split={split!r} is not one of them."
        )
    lhs = read_split_statistics(statistics_artifact, chosen)
    if compare_split is None:
        return get_statistics_html(lhs, lhs_name=chosen)
    rhs = read_split_statistics(statistics_artifact, compare_split)
    return get_statistics_html(lhs, rhs, lhs_name=chosen, rhs_name=compare_split)
