"""The view of an ExampleAnomalies artifact: per split, a table of anomalies (feature, kind,
description) from `Split-<name>/SchemaDiff.pb`, or a clear line saying there are none."""

from __future__ import annotations

import os
from typing import Any

from headrace.types.artifact import Artifact
from headrace.visuals.files import split_dir, split_sections
from headrace.visuals.markup import esc, note, table

ANOMALIES_FILE = "SchemaDiff.pb"  # TFX 1.x: a binary tensorflow_metadata Anomalies proto


def read_split_anomalies(artifact: Artifact, split: str) -> Any:
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    with open(os.path.join(split_dir(artifact, split), ANOMALIES_FILE), "rb") as f:
        return anomalies_pb2.Anomalies.FromString(f.read())


def anomaly_rows(result: Any) -> list[tuple[str, str, str]]:
    """(feature, kind, description) for each reason of each anomaly, sorted by feature.

    Dataset-level anomalies (e.g. too few examples) show `(dataset)` as their feature.
    """
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    infos = sorted(result.anomaly_info.items())
    if result.HasField("dataset_anomaly_info"):
        infos.append(("(dataset)", result.dataset_anomaly_info))
    rows = []
    for feature, info in infos:
        warning = " (warning)" if info.severity == anomalies_pb2.AnomalyInfo.WARNING else ""
        reasons = list(info.reason) or [info]
        for reason in reasons:
            kind = reason.short_description
            if isinstance(reason, anomalies_pb2.AnomalyInfo.Reason):
                kind += f" [{anomalies_pb2.AnomalyInfo.Type.Name(reason.type)}]"
            rows.append((feature, kind + warning, reason.description.strip()))
    return rows


def anomalies_html(artifact: Artifact) -> str:
    def render(split: str) -> str:
        rows = anomaly_rows(read_split_anomalies(artifact, split))
        if not rows:
            return note("No anomalies: the statistics match the schema.", kind="good")
        count = f"{len(rows)} anomal{'y' if len(rows) == 1 else 'ies'}"
        return note(count, kind="bad") + table(
            ["feature", "kind", "description"], [tuple(esc(c) for c in r) for r in rows]
        )

    return split_sections(artifact, "anomalies", render)
