"""StatisticsGen: TFDV statistics of each split of an Examples artifact, computed in one Beam
pipeline that runs with the node's Beam arguments."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import json
import re
from typing import Any

from headrace.components.beam import beam_pipeline
from headrace.components.data_errors import DataError
from headrace.components.schema_files import read_schema
from headrace.components.splits import encode_split_names, select_splits, split_uri
from headrace.components.statistics_files import statistics_file
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.errors import DefinitionError
from headrace.types import Examples, ExampleStatistics, Schema

# tfx-bsl's decoder says this when one feature has different value types within a split.
_WRONG_TYPE = re.compile(r"Feature had wrong type[^\[\n]*")


@component(name="StatisticsGen", beam=True)
def StatisticsGen(
    examples: Input[Examples],
    statistics: Output[ExampleStatistics],
    schema: Input[Schema] | None = None,
    stats_options: Parameter[dict] | None = None,
    exclude_splits: Parameter[list] | None = None,
    context: ExecutionContext = None,
) -> None:
    """Compute TFDV statistics for every split of `examples` not in `exclude_splits`.

    Writes `Split-<name>/FeatureStats.pb` (a binary DatasetFeatureStatisticsList, the TFX 1.x
    layout). `schema`, if given, guides the statistics (e.g. which int features are
    categorical); `stats_options` are keyword arguments of `tfdv.StatsOptions` such as
    `{"num_top_values": 50, "label_feature": "species"}`. Runs as one Beam pipeline with the
    node's Beam arguments.
    """
    import tensorflow_data_validation as tfdv
    from apache_beam.io.filesystems import FileSystems
    from tfx_bsl.public import tfxio

    splits = select_splits(examples, exclude_splits, component="StatisticsGen")
    options = _stats_options(tfdv, stats_options, read_schema(schema) if schema else None)
    patterns = {}
    for split in splits:
        pattern = FileSystems.join(split_uri(examples, split), "*")
        if not FileSystems.match([pattern])[0].metadata_list:
            raise DataError(
                f"StatisticsGen: split {split!r} of the Examples artifact at {examples.uri} has no "
                f"files ({pattern} matches nothing); the ExampleGen that wrote it produced no data."
            )
        patterns[split] = pattern

    try:
        with beam_pipeline(context.beam_args) as p:
            for split, pattern in patterns.items():
                source = tfxio.TFExampleRecord(
                    file_pattern=pattern, telemetry_descriptors=["headrace", "StatisticsGen"]
                )
                _ = (
                    p
                    | f"Read[{split}]" >> source.BeamSource()
                    | f"GenerateStatistics[{split}]" >> tfdv.GenerateStatistics(options)
                    | f"WriteStatistics[{split}]"
                    >> tfdv.WriteStatisticsToBinaryFile(statistics_file(statistics, split))
                )
    except Exception as exc:
        wrong_type = _WRONG_TYPE.search(str(exc))
        if wrong_type is None:
            raise
        raise DataError(
            f"StatisticsGen: cannot decode the examples at {examples.uri}: "
            f"{wrong_type.group(0).strip()}. A feature must have the same type (int, float or "
            f"bytes) in every example of a split; fix the data or the ExampleGen column types."
        ) from exc

    statistics.properties["split_names"] = encode_split_names(splits)
    if examples.properties.get("span") is not None:
        statistics.properties["span"] = examples.properties["span"]
    column_types = json.loads(examples.properties.get("column_types") or "{}")
    for split in splits:
        stats_list = tfdv.load_stats_binary(statistics_file(statistics, split))
        if _type_empty_features(stats_list.datasets[0], column_types):
            with open(statistics_file(statistics, split), "wb") as f:
                f.write(stats_list.SerializeToString())
        stats = stats_list.datasets[0]
        print(
            f"StatisticsGen: split {split!r}: {stats.num_examples} examples, "
            f"{len(stats.features)} features -> {statistics_file(statistics, split)}",
            flush=True,
        )


def _type_empty_features(stats: Any, column_types: dict[str, str]) -> bool:
    """Give features without a single value in this split the type the ExampleGen found for
    their column over all the data; True if any changed.

    TFDV can only call such a feature STRING, and a schema inferred from it then rejects the
    ints of another split (TFX's taxi data has one `pickup_census_tract` value in 15,000 rows).
    """
    from tensorflow_metadata.proto.v0 import statistics_pb2

    kinds = {"int": statistics_pb2.FeatureNameStatistics.INT,
             "float": statistics_pb2.FeatureNameStatistics.FLOAT}
    changed = False
    for feature in stats.features:
        kind = kinds.get(column_types.get(".".join(feature.path.step) or feature.name))
        if kind is None or feature.type != feature.STRING:
            continue
        if feature.string_stats.common_stats.num_non_missing:
            continue
        # A copy first: setting num_stats clears string_stats (they are one oneof).
        common = statistics_pb2.CommonStatistics()
        common.CopyFrom(feature.string_stats.common_stats)
        feature.type = kind
        feature.num_stats.common_stats.CopyFrom(common)
        changed = True
    return changed


def _stats_options(tfdv: Any, given: dict | None, schema: Any) -> Any:
    kwargs = dict(given or {})
    try:
        options = tfdv.StatsOptions(**kwargs)
    except (TypeError, ValueError) as exc:
        raise DefinitionError(
            f"StatisticsGen: stats_options {kwargs} are not valid tfdv.StatsOptions keyword "
            f"arguments: {exc}."
        ) from exc
    if schema is not None:
        options.schema = schema
    return options
