"""A folder of images as tf.Examples, through a custom ExampleGen that is one function.

    FileBasedExampleGen (image_reader.read_fn) ─┬─ StatisticsGen ─ SchemaGen
                                                └─ CountImagesPerLabel (a class component)

`data/<label>/*.png` holds 6 circles and 6 squares (drawn by make_images.py). Each image becomes
one tf.Example: `image` (the PNG bytes), `label` (its folder's name), `height` and `width`;
ExampleGen hash-splits them into train and eval. CountImagesPerLabel reads the
examples back, checks every image decodes to the size recorded with it, and records the images
per label and split (property `counts`).

`headrace run examples/images/pipeline.py` runs it on this machine (SQLite metadata under
./headrace-root).
"""

from __future__ import annotations

import glob
import io
import json
import os
from collections import Counter

from headrace import Input, Output, Pipeline, component
from headrace.components import FileBasedExampleGen, SchemaGen, StatisticsGen
from headrace.dsl import ExecutionContext
from headrace.types import Examples
from headrace.types.artifact import Artifact

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
READER = os.path.join(HERE, "image_reader.py")


class LabelCounts(Artifact):
    """A custom artifact type: images per label and split (`counts.json`)."""


@component
class CountImagesPerLabel:
    """Count the images of each label in each split; fail if an image does not decode to the
    height and width recorded with it."""

    examples: Input[Examples]
    counts: Output[LabelCounts]

    def run(self, context: ExecutionContext) -> None:
        splits = json.loads(str(self.examples.properties["split_names"]))
        counts = {split: dict(sorted(self.count(split).items())) for split in splits}
        with open(os.path.join(self.counts.uri, "counts.json"), "w") as f:
            json.dump(counts, f, indent=2)
        self.counts.properties["counts"] = counts
        self.counts.properties["images"] = sum(sum(c.values()) for c in counts.values())

    def count(self, split: str) -> Counter[str]:
        from PIL import Image

        found: Counter[str] = Counter()
        for example in self.examples_of(split):
            feature = example.features.feature
            label = feature["label"].bytes_list.value[0].decode()
            with Image.open(io.BytesIO(feature["image"].bytes_list.value[0])) as image:
                size = (feature["width"].int64_list.value[0], feature["height"].int64_list.value[0])
                if image.size != size:
                    raise ValueError(f"a {label} image decodes to {image.size}, recorded as {size}")
            found[label] += 1
        return found

    def examples_of(self, split: str):  # type: ignore[no-untyped-def]
        import tensorflow as tf

        files = sorted(glob.glob(os.path.join(self.examples.uri, f"Split-{split}", "*")))
        for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
            yield tf.train.Example.FromString(record.numpy())


def create_pipeline(root: str | None = None, *, data: str = DATA) -> Pipeline:
    example_gen = FileBasedExampleGen(input_base=data, input_config="*/*.png", module_file=READER)
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
    counts = CountImagesPerLabel(examples=example_gen.outputs["examples"])
    return Pipeline(
        name="images",
        components=[example_gen, statistics_gen, schema_gen, counts],
        pipeline_root=os.path.abspath(root or "headrace-root"),
    )
