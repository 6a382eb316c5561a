"""Real TFDV artifacts for the view tests, in TFX's on-disk layout: statistics of a clean train
split and a drifted eval split of the penguin data, the schema TFDV infers from train, and the
anomalies TFDV finds in each split. One feature is named `<script>` to prove escaping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from headrace.types import ExampleAnomalies, ExampleStatistics, Schema

PENGUINS = Path(__file__).parents[1] / "components" / "data" / "penguins_processed.csv"
SPECIES = {0: "Adelie", 1: "Chinstrap", 2: "Gentoo"}
SCRIPT = "<script>alert(1)</script>"


@dataclass(frozen=True)
class TfdvArtifacts:
    frame: pd.DataFrame  # the clean rows the train statistics describe
    statistics: ExampleStatistics
    schema: Schema
    anomalies: ExampleAnomalies


def penguin_frame() -> pd.DataFrame:
    frame = pd.read_csv(PENGUINS)
    frame["species_name"] = frame["species"].map(SPECIES)
    frame[SCRIPT] = frame["body_mass_g"] * 2
    return frame


@pytest.fixture(scope="session")
def tfdv_artifacts(tmp_path_factory) -> TfdvArtifacts:
    import tensorflow_data_validation as tfdv

    root = tmp_path_factory.mktemp("tfdv")
    frame = penguin_frame()
    train, eval_ = frame.iloc[::2].copy(), frame.iloc[1::2].copy()
    # The eval split drifts: body_mass_g is no longer collected, a species no one has seen.
    eval_ = eval_.drop(columns=["body_mass_g"])
    eval_.loc[eval_.index[::5], "species_name"] = "Emperor"
    splits = '["train", "eval"]'

    statistics = ExampleStatistics(str(root / "statistics"), {"split_names": splits, "span": 3})
    computed = {}
    for name, rows in (("train", train), ("eval", eval_)):
        computed[name] = tfdv.generate_statistics_from_dataframe(rows)
        directory = root / "statistics" / f"Split-{name}"
        directory.mkdir(parents=True)
        (directory / "FeatureStats.pb").write_bytes(computed[name].SerializeToString())

    schema = Schema(str(root / "schema"))
    (root / "schema").mkdir()
    inferred = tfdv.infer_schema(computed["train"])
    tfdv.write_schema_text(inferred, str(root / "schema" / "schema.pbtxt"))

    anomalies = ExampleAnomalies(str(root / "anomalies"), {"split_names": splits})
    blessed = {}
    for name, stats in computed.items():
        found = tfdv.validate_statistics(stats, inferred)
        directory = root / "anomalies" / f"Split-{name}"
        directory.mkdir(parents=True)
        (directory / "SchemaDiff.pb").write_bytes(found.SerializeToString())
        blessed[name] = 0 if found.anomaly_info else 1
    anomalies.properties["blessed"] = json.loads(json.dumps(blessed))
    return TfdvArtifacts(frame=train, statistics=statistics, schema=schema, anomalies=anomalies)
