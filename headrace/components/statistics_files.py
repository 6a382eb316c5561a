"""ExampleStatistics artifacts on disk: one binary `DatasetFeatureStatisticsList` per split,
`Split-<name>/FeatureStats.pb`, as TFX 1.x writes and reads them."""

from __future__ import annotations

import os
from typing import Any

from headrace.components.data_errors import DataError
from headrace.components.splits import split_uri
from headrace.types import Artifact
from headrace.visuals.statistics import STATS_FILE  # the file name the views read too


def statistics_file(artifact: Artifact, split: str) -> str:
    return os.path.join(split_uri(artifact, split), STATS_FILE)


def read_statistics(artifact: Artifact, split: str) -> Any:
    """The `DatasetFeatureStatisticsList` of one split."""
    import tensorflow as tf
    import tensorflow_data_validation as tfdv

    path = statistics_file(artifact, split)
    if not tf.io.gfile.exists(path):
        raise DataError(
            f"The ExampleStatistics artifact at {artifact.uri} lists split {split!r} but has no "
            f"{path}; it should come from StatisticsGen."
        )
    return tfdv.load_stats_binary(path)
