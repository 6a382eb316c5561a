"""The penguin pipeline's Beam-based data part (ExampleGen, StatisticsGen, SchemaGen, Transform),
run by tests/runner/test_beam_engines.py on DirectRunner, Flink and Spark."""

from __future__ import annotations

import os

from headrace import Pipeline
from headrace.components import CsvExampleGen, SchemaGen, StatisticsGen, Transform

PENGUIN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "penguin")

example_gen = CsvExampleGen(input_base=os.path.join(PENGUIN, "data"))
statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)
transform = Transform(
    examples=example_gen.outputs["examples"],
    schema=schema_gen.outputs["schema"],
    module_file=os.path.join(PENGUIN, "penguin_utils.py"),
)
pipeline = Pipeline(
    name="penguin-beam", components=[example_gen, statistics_gen, schema_gen, transform]
)
