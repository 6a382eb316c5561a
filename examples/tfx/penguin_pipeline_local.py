"""TFX's penguin pipeline, written against TFX's public API (`from tfx import v1 as tfx`) exactly
as for TFX's LocalDagRunner, and run unchanged by Headrace:

    python examples/tfx/penguin_pipeline_local.py          # LocalDagRunner -> Headrace's runner
    headrace run examples/tfx/penguin_pipeline_local.py    # the same pipeline, found by Headrace

Nothing here imports Headrace: with TFX installed the same file runs on TFX. The module file is
the Headrace penguin example's (itself a TFX-style module file); the data is TFX's penguin data.
Outputs and ML Metadata (SQLite) go under ./tfx/ in the current directory, as TFX's example does
under $HOME/tfx.
"""

import os
from typing import Optional

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx

_pipeline_name = "penguin_local"

_here = os.path.dirname(os.path.abspath(__file__))
_data_root = os.path.normpath(os.path.join(_here, "..", "penguin", "data"))
_module_file = os.path.normpath(os.path.join(_here, "..", "penguin", "penguin_utils.py"))

_tfx_root = os.path.join(os.getcwd(), "tfx")
_pipeline_root = os.path.join(_tfx_root, "pipelines", _pipeline_name)
_metadata_path = os.path.join(_tfx_root, "metadata", _pipeline_name, "metadata.db")
_serving_model_dir = os.path.join(_tfx_root, "serving_model", _pipeline_name)


def _create_pipeline(pipeline_name: str, pipeline_root: str, data_root: str,
                     module_file: str, serving_model_dir: str,
                     metadata_path: Optional[str]) -> tfx.dsl.Pipeline:
    """A pipeline that trains a penguin classifier and pushes it if it is good enough."""
    example_gen = tfx.components.CsvExampleGen(input_base=data_root)

    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])

    schema_gen = tfx.components.SchemaGen(
        statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)

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
        train_args=tfx.proto.TrainArgs(num_steps=100),
        eval_args=tfx.proto.EvalArgs(num_steps=5))

    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(
            type=tfx.types.standard_artifacts.ModelBlessing)).with_id(
                "latest_blessed_model_resolver")

    eval_config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="species")],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["species"])],
        metrics_specs=[
            tfma.MetricsSpec(metrics=[
                tfma.MetricConfig(
                    class_name="SparseCategoricalAccuracy",
                    threshold=tfma.MetricThreshold(
                        value_threshold=tfma.GenericValueThreshold(
                            lower_bound={"value": 0.6}),
                        change_threshold=tfma.GenericChangeThreshold(
                            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
                            absolute={"value": -1e-10})))
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
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=serving_model_dir)))

    components = [
        example_gen, statistics_gen, schema_gen, example_validator, transform, trainer,
        model_resolver, evaluator, pusher,
    ]
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        # On Kubeflow (penguin_pipeline_kubeflow.py) the runner's config names ML Metadata.
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
            if metadata_path else None),
        components=components,
        enable_cache=True)


if __name__ == "__main__":
    tfx.orchestration.LocalDagRunner().run(
        _create_pipeline(
            pipeline_name=_pipeline_name,
            pipeline_root=_pipeline_root,
            data_root=_data_root,
            module_file=_module_file,
            serving_model_dir=_serving_model_dir,
            metadata_path=_metadata_path))
