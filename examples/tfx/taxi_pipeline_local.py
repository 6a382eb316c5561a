"""TFX's Chicago taxi pipeline (native Keras), written against TFX's public API and run
unchanged by Headrace:

    python examples/tfx/taxi_pipeline_local.py          # LocalDagRunner -> Headrace's runner
    headrace run examples/tfx/taxi_pipeline_local.py

The module file is the Headrace taxi example's (a TFX-style `preprocessing_fn` and `run_fn`); the
data is TFX's taxi sample. Outputs and ML Metadata go under ./tfx/ in the current directory.
"""

import os
from typing import List, Optional

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

_pipeline_name = "chicago_taxi_native_keras"

_here = os.path.dirname(os.path.abspath(__file__))
_data_root = os.path.normpath(os.path.join(_here, "..", "chicago_taxi", "data"))
_module_file = os.path.normpath(os.path.join(_here, "..", "chicago_taxi", "taxi_utils.py"))

_tfx_root = os.path.join(os.getcwd(), "tfx")
_pipeline_root = os.path.join(_tfx_root, "pipelines", _pipeline_name)
_metadata_path = os.path.join(_tfx_root, "metadata", _pipeline_name, "metadata.db")
_serving_model_dir = os.path.join(_tfx_root, "serving_model", _pipeline_name)

# Beam runs in this process; TFX's example spread it over processes, which costs seconds here.
_beam_pipeline_args = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _create_pipeline(pipeline_name: str, pipeline_root: str, data_root: str,
                     module_file: str, serving_model_dir: str, metadata_path: Optional[str],
                     beam_pipeline_args: List[str], train_steps: int = 1000,
                     eval_steps: int = 50) -> tfx.dsl.Pipeline:
    """The taxi pipeline: predict whether a passenger tips more than 20% of the fare."""
    example_gen = tfx.components.CsvExampleGen(input_base=data_root)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(
        statistics=statistics_gen.outputs["statistics"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        module_file=module_file)
    trainer = tfx.components.Trainer(
        module_file=module_file,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps))
    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(
            type=tfx.types.standard_artifacts.ModelBlessing)).with_id(
                "latest_blessed_model_resolver")
    eval_config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="tips_xf",
                                    preprocessing_function_names=["transform_features"])],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["trip_start_hour"])],
        metrics_specs=[
            tfma.MetricsSpec(metrics=[
                tfma.MetricConfig(
                    class_name="BinaryAccuracy",
                    threshold=tfma.MetricThreshold(
                        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.6}),
                        change_threshold=tfma.GenericChangeThreshold(
                            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
                            absolute={"value": -1e-10}))),
                tfma.MetricConfig(class_name="ExampleCount"),
            ])
        ])
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        eval_config=eval_config)
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)))

    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=[
            example_gen, statistics_gen, schema_gen, example_validator, transform, trainer,
            model_resolver, evaluator, pusher,
        ],
        enable_cache=True,
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
            if metadata_path else None),
        beam_pipeline_args=beam_pipeline_args)


if __name__ == "__main__":
    tfx.orchestration.LocalDagRunner().run(
        _create_pipeline(
            pipeline_name=_pipeline_name,
            pipeline_root=_pipeline_root,
            data_root=_data_root,
            module_file=_module_file,
            serving_model_dir=_serving_model_dir,
            metadata_path=_metadata_path,
            beam_pipeline_args=_beam_pipeline_args))
