"""`tfx.components.*`: TFX's standard components with TFX's constructor arguments (protos
included), made into Headrace's standard component nodes with the same output keys.

An argument TFX has and Headrace cannot honour (an analyzer cache, an estimator `trainer_fn`, a
custom executor on a standard component) fails here, at construction, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headrace import components as hc
from headrace.components.proto_parameters import to_parameter
from headrace.dsl import Node
from headrace.tfx.unsupported import not_provided


def _dict(value: Any, component: str, argument: str, message: str) -> dict | None:
    return to_parameter(value, component=component, argument=argument, message=message)


def _refuse(component: str, **given: Any) -> None:
    for argument, value in given.items():
        if value is not None and value is not False:
            not_provided(f"tfx.components.{component}({argument}=...)", _REFUSED.get(argument))


_REFUSED = {
    "analyzer_cache": "nothing: Transform recomputes its analyzers (its cache key already skips "
    "an unchanged Transform)",
    "stats_options_updater_fn": "StatisticsGen on the transformed examples",
    "trainer_fn": "a Keras `run_fn(fn_args)` module file (estimator trainer_fn is TFX 0.x)",
    "custom_executor_spec": "a custom component (tfx.dsl.components.component or BaseComponent) "
    "instead of replacing a standard component's executor",
    "custom_validation_config": "a custom component after ExampleValidator",
    "fairness_indicator_thresholds": "tfma.EvalConfig metrics specs with thresholds",
    "feature_slicing_spec": "tfma.EvalConfig slicing_specs",
    "module_path": "eval_config (custom extractors are not supported)",
    "output_example_spec": "BulkInferrer's inference_result (PredictionLogs)",
    "custom_config": "component parameters of a custom component",
    "tune_args": "one trial at a time (TuneArgs.num_parallel_trials is not supported)",
    "payload_format": "tf.Example records (other payloads are not supported)",
}


def _generic_executor(spec: Any) -> bool:
    """TFX's `ExecutorClassSpec(trainer.executor.GenericExecutor)`: the default, accepted."""
    cls = getattr(spec, "executor_class", None)
    return getattr(cls, "__name__", "") == "GenericExecutor"


def CsvExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
) -> Node:
    return hc.CsvExampleGen(
        input_base=input_base,
        input_config=input_config,
        output_config=output_config,
        range_config=range_config,
    )


def ImportExampleGen(
    input_base: str | None = None,
    input_config: Any = None,
    output_config: Any = None,
    range_config: Any = None,
    payload_format: int | None = None,
) -> Node:
    if payload_format not in (None, 6):  # FORMAT_TF_EXAMPLE
        _refuse("ImportExampleGen", payload_format=payload_format)
    return hc.ImportExampleGen(
        input_base=input_base,
        input_config=input_config,
        output_config=output_config,
        range_config=range_config,
    )


def StatisticsGen(
    examples: Any,
    schema: Any = None,
    stats_options: Any = None,
    exclude_splits: list[str] | None = None,
) -> Node:
    return hc.StatisticsGen(
        examples=examples,
        schema=schema,
        stats_options=_stats_options(stats_options),
        exclude_splits=_list(exclude_splits),
    )


def _stats_options(options: Any) -> dict | None:
    """tfdv.StatsOptions as the dict of its settings that differ from the defaults."""
    if options is None or isinstance(options, Mapping):
        return dict(options) if options is not None else None
    import tensorflow_data_validation as tfdv  # only a pipeline that passes StatsOptions pays

    default = tfdv.StatsOptions()
    changed = {}
    for name in (
        "num_top_values",
        "num_rank_histogram_buckets",
        "num_values_histogram_buckets",
        "num_histogram_buckets",
        "num_quantiles_histogram_buckets",
        "epsilon",
        "sample_rate",
        "label_feature",
        "weight_feature",
        "infer_type_from_schema",
        "enable_semantic_domain_stats",
        "desired_batch_size",
    ):
        value = getattr(options, name, None)
        if value != getattr(default, name, None):
            changed[name] = value
    return changed


def SchemaGen(
    statistics: Any, infer_feature_shape: bool = True, exclude_splits: list[str] | None = None
) -> Node:
    return hc.SchemaGen(
        statistics=statistics,
        infer_feature_shape=infer_feature_shape,
        exclude_splits=_list(exclude_splits),
    )


def ImportSchemaGen(schema_file: str) -> Node:
    return hc.ImportSchemaGen(schema_file=schema_file)


def ExampleValidator(
    statistics: Any,
    schema: Any,
    exclude_splits: list[str] | None = None,
    custom_validation_config: Any = None,
) -> Node:
    _refuse("ExampleValidator", custom_validation_config=custom_validation_config)
    return hc.ExampleValidator(
        statistics=statistics, schema=schema, exclude_splits=_list(exclude_splits)
    )


def Transform(
    examples: Any,
    schema: Any,
    module_file: str | None = None,
    preprocessing_fn: str | None = None,
    splits_config: Any = None,
    analyzer_cache: Any = None,
    materialize: bool = True,
    disable_analyzer_cache: bool = False,
    force_tf_compat_v1: bool = False,
    custom_config: dict[str, Any] | None = None,
    disable_statistics: bool = False,
    stats_options_updater_fn: str | None = None,
) -> Node:
    _refuse(
        "Transform",
        analyzer_cache=analyzer_cache,
        stats_options_updater_fn=stats_options_updater_fn,
    )
    return hc.Transform(
        examples=examples,
        schema=schema,
        module_file=module_file,
        preprocessing_fn=preprocessing_fn,
        splits_config=_dict(splits_config, "Transform", "splits_config", "SplitsConfig"),
        materialize=materialize,
        force_tf_compat_v1=force_tf_compat_v1,
        custom_config=dict(custom_config) if custom_config else None,
    )


def Trainer(
    examples: Any = None,
    transformed_examples: Any = None,
    transform_graph: Any = None,
    schema: Any = None,
    base_model: Any = None,
    hyperparameters: Any = None,
    module_file: str | None = None,
    run_fn: str | None = None,
    trainer_fn: str | None = None,
    train_args: Any = None,
    eval_args: Any = None,
    custom_config: dict[str, Any] | None = None,
    custom_executor_spec: Any = None,
) -> Node:
    if custom_executor_spec is not None and not _generic_executor(custom_executor_spec):
        _refuse("Trainer", custom_executor_spec=custom_executor_spec)
    _refuse("Trainer", trainer_fn=trainer_fn)
    return hc.Trainer(
        examples=examples if examples is not None else transformed_examples,
        transform_graph=transform_graph,
        schema=schema,
        base_model=base_model,
        hyperparameters=hyperparameters,
        module_file=module_file,
        run_fn=run_fn,
        train_args=_dict(train_args, "Trainer", "train_args", "TrainArgs"),
        eval_args=_dict(eval_args, "Trainer", "eval_args", "EvalArgs"),
        custom_config=dict(custom_config) if custom_config else None,
    )


def Tuner(
    examples: Any,
    schema: Any = None,
    transform_graph: Any = None,
    base_model: Any = None,
    module_file: str | None = None,
    tuner_fn: str | None = None,
    train_args: Any = None,
    eval_args: Any = None,
    tune_args: Any = None,
    custom_config: dict[str, Any] | None = None,
) -> Node:
    parallel = (_dict(tune_args, "Tuner", "tune_args", "TuneArgs") or {}).get(
        "num_parallel_trials", 1
    )
    if parallel not in (0, 1):
        _refuse("Tuner", tune_args=tune_args)
    if base_model is not None:
        not_provided("tfx.components.Tuner(base_model=...)", "the Trainer's base_model")
    return hc.Tuner(
        examples=examples,
        schema=schema,
        transform_graph=transform_graph,
        module_file=module_file,
        tuner_fn=tuner_fn,
        train_args=_dict(train_args, "Tuner", "train_args", "TrainArgs"),
        eval_args=_dict(eval_args, "Tuner", "eval_args", "EvalArgs"),
        custom_config=dict(custom_config) if custom_config else None,
    )


def Evaluator(
    examples: Any,
    model: Any = None,
    baseline_model: Any = None,
    feature_slicing_spec: Any = None,
    fairness_indicator_thresholds: Any = None,
    example_splits: list[str] | None = None,
    eval_config: Any = None,
    schema: Any = None,
    module_file: str | None = None,
    module_path: str | None = None,
) -> Node:
    _refuse(
        "Evaluator",
        feature_slicing_spec=feature_slicing_spec,
        fairness_indicator_thresholds=fairness_indicator_thresholds,
        module_file=module_file,
        module_path=module_path,
    )
    # TFX passes the schema to TFMA for decoding; Headrace's Evaluator infers it from the data.
    return hc.Evaluator(
        examples=examples,
        model=model,
        baseline_model=baseline_model,
        eval_config=eval_config,
        example_splits=_list(example_splits),
    )


def InfraValidator(
    model: Any,
    serving_spec: Any,
    examples: Any = None,
    request_spec: Any = None,
    validation_spec: Any = None,
) -> Node:
    spec = _dict(serving_spec, "InfraValidator", "serving_spec", "ServingSpec") or {}
    # TFX's serving platforms (a local Docker engine, a Kubernetes pod) start TF Serving beside
    # the step; Headrace starts its model server inside the step, so the platform is dropped
    # (docs/migrating_from_tfx.md says so) and the TF Serving settings are kept.
    spec = {k: v for k, v in spec.items() if k not in ("local_docker", "kubernetes")}
    return hc.InfraValidator(
        model=model,
        serving_spec=spec or None,
        examples=examples,
        request_spec=request_spec,
        validation_spec=validation_spec,
    )


def Pusher(
    model: Any = None,
    model_blessing: Any = None,
    infra_blessing: Any = None,
    push_destination: Any = None,
    custom_config: dict[str, Any] | None = None,
    custom_executor_spec: Any = None,
) -> Node:
    _refuse(
        "Pusher", custom_config=custom_config or None, custom_executor_spec=custom_executor_spec
    )
    return hc.Pusher(
        model=model,
        model_blessing=model_blessing,
        infra_blessing=infra_blessing,
        push_destination=push_destination,
    )


def BulkInferrer(
    examples: Any,
    model: Any = None,
    model_blessing: Any = None,
    data_spec: Any = None,
    model_spec: Any = None,
    output_example_spec: Any = None,
) -> Node:
    _refuse("BulkInferrer", output_example_spec=output_example_spec)
    return hc.BulkInferrer(
        examples=examples,
        model=model,
        model_blessing=model_blessing,
        data_spec=data_spec,
        model_spec=model_spec,
    )


def _list(value: Any) -> list[str] | None:
    return list(value) if value is not None else None


# TFX's `FnArgs`/`DataAccessor`/`TunerFnResult`, for module files' imports.
FnArgs = hc.FnArgs
DataAccessor = hc.DataAccessor
TunerFnResult = hc.TunerFnResult

__all__ = [
    "BulkInferrer",
    "CsvExampleGen",
    "DataAccessor",
    "Evaluator",
    "ExampleValidator",
    "FnArgs",
    "ImportExampleGen",
    "ImportSchemaGen",
    "InfraValidator",
    "Pusher",
    "SchemaGen",
    "StatisticsGen",
    "Trainer",
    "Transform",
    "Tuner",
    "TunerFnResult",
]
