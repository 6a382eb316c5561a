"""The TFX Chicago taxi pipeline, on Headrace's standard components.

    CsvExampleGen ─ StatisticsGen ─ SchemaGen ─ ExampleValidator
          │                            │
          └──────────── Transform ─────┘
                            │
                         Trainer ─── Evaluator ── Pusher
                                        │
     Resolver (latest blessed model) ───┘

`headrace run examples/chicago_taxi/pipeline.py` runs it on this machine. The model predicts
whether a passenger tips more than 20% of the fare (`taxi_utils.py`: vocabularies, quantile
buckets and z-scores in `preprocessing_fn`, a wide-and-deep Keras model in `run_fn`). The
Evaluator computes the label with the model's `transform_features` signature, as TFX's example
does, and blesses a model whose binary accuracy is at least 0.6 overall and no worse than the
latest blessed model's; the Pusher copies it to `<root>/serving/chicago_taxi/<version>/`.

The data is TFX's Chicago taxi sample (15,000 trips) in `data/`.
"""

from __future__ import annotations

import os
from typing import Any

from headrace import Pipeline
from headrace.components import (
    CsvExampleGen,
    Evaluator,
    ExampleValidator,
    LatestBlessedModelStrategy,
    Pusher,
    Resolver,
    SchemaGen,
    StatisticsGen,
    Trainer,
    Transform,
)
from headrace.dsl import Channel
from headrace.types import Model, ModelBlessing

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
MODULE_FILE = os.path.join(HERE, "taxi_utils.py")
ROOT = "headrace-root"


def eval_config(min_accuracy: float = 0.6) -> dict[str, Any]:
    """TFMA's EvalConfig (as its dict form; a `tfma.EvalConfig` proto works the same)."""
    threshold = {
        "value_threshold": {"lower_bound": min_accuracy},
        "change_threshold": {"direction": "HIGHER_IS_BETTER", "absolute": -1e-10},
    }
    return {
        "model_specs": [
            {
                "signature_name": "serving_default",
                "label_key": "tips_xf",
                "preprocessing_function_names": ["transform_features"],
            }
        ],
        "slicing_specs": [{}, {"feature_keys": ["trip_start_hour"]}],
        "metrics_specs": [
            {"metrics": [{"class_name": "BinaryAccuracy", "threshold": threshold},
                         {"class_name": "AUC"}, {"class_name": "ExampleCount"}]}
        ],
    }


def create_pipeline(
    root: str | None = None,
    *,
    data: str = DATA,
    module_file: str = MODULE_FILE,
    train_steps: int = 1000,
    eval_steps: int = 50,
    serving_dir: str | None = None,
    min_accuracy: float = 0.6,
    metadata: str | None = None,
) -> Pipeline:
    root = os.path.abspath(root or ROOT)
    example_gen = CsvExampleGen(input_base=data)
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    transform = Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        module_file=module_file,
    )
    trainer = Trainer(
        module_file=module_file,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args={"num_steps": train_steps},
        eval_args={"num_steps": eval_steps},
    )
    model_resolver = Resolver(
        strategy_class=LatestBlessedModelStrategy,
        model=Channel(type=Model),
        model_blessing=Channel(type=ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        eval_config=eval_config(min_accuracy),
    )
    pusher = Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination={
            "filesystem": {"base_directory": serving_dir or "{pipeline_root}/serving/chicago_taxi"}
        },
    )
    return Pipeline(
        name="chicago-taxi",
        components=[
            example_gen, statistics_gen, schema_gen, example_validator, transform, trainer,
            model_resolver, evaluator, pusher,
        ],
        pipeline_root=root,
        metadata=metadata,
    )
