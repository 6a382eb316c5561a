"""Each node execution's HTML summary, `{root}/{pipeline}/{node}/summary/{execution id}.html`,
written beside its outputs. Writing it never fails a node: an error costs one warning line."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from headrace.types.artifact import Artifact
from headrace.visuals import node_page

log = logging.getLogger(__name__)
SUMMARY_DIR = "summary"


def summary_path(root: str, pipeline: str, node_id: str, execution_id: int) -> str:
    return os.path.join(root, pipeline, node_id, SUMMARY_DIR, f"{execution_id}.html")


def write_summary(
    *,
    root: str,
    pipeline: str,
    run_id: str,
    node_id: str,
    component: str,
    execution_id: int,
    outcome: str,
    reason: str,
    seconds: float,
    inputs: Mapping[str, list[Artifact]],
    outputs: Mapping[str, list[Artifact]],
) -> str:
    """Write the summary page; returns its path, or "" (after a warning) if it could not be."""
    path = summary_path(root, pipeline, node_id, execution_id)
    try:
        html = node_page(
            pipeline=pipeline,
            run_id=run_id,
            node_id=node_id,
            component=component,
            execution_id=execution_id,
            outcome=outcome,
            reason=reason,
            seconds=seconds,
            inputs=inputs,
            outputs=outputs,
            input_links=_input_links(os.path.dirname(path), inputs),
        )
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Whole or not at all: a reader (the KFP UI step, a report) never sees half a page.
        partial = f"{path}.partial"
        with open(partial, "w", encoding="utf-8") as f:
            f.write(html)
        os.replace(partial, path)
    except Exception as exc:
        log.warning(
            "%s: no HTML summary written to %s: %s: %s", node_id, path, type(exc).__name__, exc
        )
        return ""
    return path


def remove_summary(root: str, pipeline: str, node_id: str, execution_id: int) -> None:
    path = summary_path(root, pipeline, node_id, execution_id)
    for leftover in (path, f"{path}.partial"):
        if os.path.exists(leftover):
            os.remove(leftover)


def _input_links(here: str, inputs: Mapping[str, list[Artifact]]) -> dict[str, str]:
    """For each input whose URI has Headrace's layout (`.../<node>/<output>/<execution id>`),
    a relative link to its producer's summary page if that exists, else to the artifact."""
    links = {}
    for artifacts in inputs.values():
        for a in artifacts:
            if "://" in a.uri or not a.uri:
                continue
            uri = os.path.normpath(a.uri)
            node_dir, execution = os.path.dirname(os.path.dirname(uri)), os.path.basename(uri)
            producer = os.path.join(node_dir, SUMMARY_DIR, f"{execution}.html")
            target = producer if os.path.isfile(producer) else uri
            links[a.uri] = os.path.relpath(target, here)
    return links
