"""ExampleValidator: TFDV anomalies of each split's statistics against a schema, recorded as an
ExampleAnomalies artifact, printed as a readable table, and optionally failing the node."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import os

from headrace.components.data_errors import AnomaliesFoundError
from headrace.components.schema_files import read_schema
from headrace.components.splits import encode_split_names, select_splits, split_uri
from headrace.components.statistics_files import read_statistics
from headrace.dsl import Input, Output, Parameter, component
from headrace.types import ExampleAnomalies, ExampleStatistics, Schema
from headrace.visuals.anomalies import ANOMALIES_FILE, anomaly_rows  # shared with the views

# TFX's `blessed` custom property: per split, 1 when it has no anomalies, else 0.
BLESSED, NOT_BLESSED = 1, 0


@component(name="ExampleValidator")
def ExampleValidator(
    statistics: Input[ExampleStatistics],
    schema: Input[Schema],
    anomalies: Output[ExampleAnomalies],
    exclude_splits: Parameter[list] | None = None,
    fail_on_anomalies: Parameter[bool] = False,
) -> None:
    """Validate each split's statistics against `schema` with TFDV.

    Writes `Split-<name>/SchemaDiff.pb` per split and the `blessed` property ({split: 1 if no
    anomalies else 0}), and prints the anomalies as a table (feature, kind, description).
    By default anomalies are only recorded, as in TFX; with `fail_on_anomalies=True` the node
    fails with the anomalies in its error and publishes nothing, so downstream nodes never
    train on data that broke the schema.
    """
    import tensorflow as tf
    import tensorflow_data_validation as tfdv

    splits = select_splits(statistics, exclude_splits, component="ExampleValidator")
    expected = read_schema(schema)
    blessed: dict[str, int] = {}
    reports: list[str] = []
    total = 0
    for split in splits:
        result = tfdv.validate_statistics(read_statistics(statistics, split), expected)
        out_dir = split_uri(anomalies, split)
        tf.io.gfile.makedirs(out_dir)
        with tf.io.gfile.GFile(os.path.join(out_dir, ANOMALIES_FILE), "wb") as f:
            f.write(result.SerializeToString())
        rows = anomaly_rows(result)
        blessed[split] = NOT_BLESSED if rows else BLESSED
        total += len(rows)
        report = format_report(split, rows)
        print(report, flush=True)
        if rows:
            reports.append(report)

    anomalies.properties["split_names"] = encode_split_names(splits)
    anomalies.properties["blessed"] = blessed
    if statistics.properties.get("span") is not None:
        anomalies.properties["span"] = statistics.properties["span"]
    if total and fail_on_anomalies:
        raise AnomaliesFoundError(
            f"ExampleValidator found {_count(total)} and fail_on_anomalies=True:\n"
            + "\n".join(reports)
            + "\nFix the data; if the change is expected, update the schema (for example a "
            "curated schema through ImportSchemaGen); or set fail_on_anomalies=False to record "
            "anomalies without failing."
        )


def format_report(split: str, rows: list[tuple[str, str, str]]) -> str:
    """A readable table of one split's anomalies (or a line saying there are none)."""
    if not rows:
        return f"ExampleValidator: split {split!r}: no anomalies"
    header = ("feature", "kind", "description")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    lines = [f"ExampleValidator: split {split!r}: {_count(len(rows))}"]
    for feature, kind, description in [header, *rows]:
        lines.append(f"  {feature:<{widths[0]}}  {kind:<{widths[1]}}  {description}")
    return "\n".join(lines)


def _count(n: int) -> str:
    return f"{n} anomaly" if n == 1 else f"{n} anomalies"
