"""The images example: a folder of PNGs through the one-function custom ExampleGen, TFDV
statistics and schema, and a class component that counts images per label. Rows in = rows out,
every image's bytes, label and size survive, and a second run is served from the cache."""

from __future__ import annotations

import glob
import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.ir import build
from headrace.launcher import CACHED, EXECUTED
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.runner.local import RunSummary
from tests.examples.example_runs import REPO, outcomes, props

EXAMPLE = REPO / "examples" / "images"
example = import_file(str(EXAMPLE / "pipeline.py"))


@dataclass(frozen=True)
class Runs:
    cold: RunSummary
    again: RunSummary


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    root = tmp_path_factory.mktemp("images")
    url = f"sqlite://{root}/metadata.sqlite"
    runner = LocalRunner(store=open_store(url), metadata_url=url)

    def run() -> RunSummary:
        summary = runner.run(build(example.create_pipeline(str(root))), root=str(root))
        assert summary.ok, summary.failed
        return summary

    return Runs(cold=run(), again=run())


def _source_rows() -> Counter:
    from PIL import Image

    rows: Counter = Counter()
    for path in glob.glob(str(EXAMPLE / "data" / "*" / "*.png")):
        data = Path(path).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        rows[(os.path.basename(os.path.dirname(path)), height, width, data)] += 1
    return rows


def _example_rows(examples_uri: str) -> dict[str, Counter]:
    import tensorflow as tf

    by_split = {}
    for split_dir in sorted(glob.glob(os.path.join(examples_uri, "Split-*"))):
        rows: Counter = Counter()
        files = sorted(glob.glob(os.path.join(split_dir, "*")))
        for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
            f = tf.train.Example.FromString(record.numpy()).features.feature
            rows[
                (
                    f["label"].bytes_list.value[0].decode(),
                    f["height"].int64_list.value[0],
                    f["width"].int64_list.value[0],
                    f["image"].bytes_list.value[0],
                )
            ] += 1
        by_split[os.path.basename(split_dir).removeprefix("Split-")] = rows
    return by_split


def test_rows_in_equal_rows_out_with_bytes_labels_and_sizes(runs):
    assert set(outcomes(runs.cold).values()) == {EXECUTED}
    source = _source_rows()
    assert sum(source.values()) == 12  # the committed data: 6 circles, 6 squares
    properties = props(runs.cold, "FileBasedExampleGen", "examples")
    per_split = json.loads(properties["rows_per_split"])
    assert sum(per_split.values()) == sum(source.values())
    [examples] = runs.cold.results["FileBasedExampleGen"].outputs["examples"]
    written = _example_rows(examples.uri)
    assert {s: sum(r.values()) for s, r in written.items()} == per_split
    assert sum(written.values(), Counter()) == source
    assert {label for label, *_ in source} == {"circle", "square"}


def test_the_class_component_counts_images_per_label_and_split(runs):
    [examples] = runs.cold.results["FileBasedExampleGen"].outputs["examples"]
    expected = {
        split: dict(
            sorted(Counter(label for (label, *_), n in rows.items() for _ in range(n)).items())
        )
        for split, rows in _example_rows(examples.uri).items()
    }
    counts = props(runs.cold, "CountImagesPerLabel", "counts")
    assert counts["counts"] == expected and counts["images"] == 12
    [artifact] = runs.cold.results["CountImagesPerLabel"].outputs["counts"]
    assert type(artifact).TYPE_NAME == "LabelCounts"  # the example's own artifact type
    assert json.loads(Path(artifact.uri, "counts.json").read_text()) == expected


def test_statistics_and_schema_see_the_image_features(runs):
    [schema] = runs.cold.results["SchemaGen"].outputs["schema"]
    text = Path(schema.uri, "schema.pbtxt").read_text()
    for name, kind in (("image", "BYTES"), ("label", "BYTES"), ("height", "INT"), ("width", "INT")):
        assert f'name: "{name}"\n  type: {kind}' in text
    assert 'name: "label"\n  value: "circle"\n  value: "square"' in text


def test_a_second_run_is_served_from_the_cache(runs):
    assert set(outcomes(runs.again).values()) == {CACHED}
    assert runs.again.seconds < runs.cold.seconds
