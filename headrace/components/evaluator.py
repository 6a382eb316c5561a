"""Evaluator: TFMA evaluation of a candidate Model (against a baseline Model, usually the latest
blessed one from a Resolver) on Examples; writes the ModelEvaluation and ALWAYS a ModelBlessing
that says whether the model is blessed and why."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment, union-attr"

from __future__ import annotations

import logging
import os
from typing import Any

from headrace.components.beam import beam_pipeline
from headrace.components.model_blessing import verdict, write_blessing
from headrace.components.model_paths import serving_model_path
from headrace.components.proto_parameters import from_parameter, to_parameter
from headrace.components.split_files import split_file_patterns
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.dsl.node import Channel, Node
from headrace.types import Examples, Model, ModelBlessing, ModelEvaluation

log = logging.getLogger(__name__)


def Evaluator(
    examples: Channel,
    model: Channel,
    baseline_model: Channel | None = None,
    eval_config: Any = None,
    example_splits: list[str] | None = None,
) -> Node:
    """A TFX Evaluator node: `Evaluator(examples=..., model=..., baseline_model=...,
    eval_config=tfma.EvalConfig(...))`, outputs `evaluation` and `blessing`.

    `eval_config` is TFMA's `EvalConfig` as is (or the same as a dict or JSON text): model specs
    (label key, signature), slicing specs (feature slices included), metrics specs with value
    thresholds and change thresholds. The change thresholds compare against `baseline_model`;
    on a first run there is none, and they are skipped. `example_splits` default to `["eval"]`.
    """
    config = to_parameter(
        eval_config, component="Evaluator", argument="eval_config", message="tfma.EvalConfig"
    )
    return _evaluator_component(
        examples=examples,
        model=model,
        baseline_model=baseline_model,
        eval_config=config,
        example_splits=list(example_splits) if example_splits is not None else None,
    )


@component(name="Evaluator", beam=True)
def _evaluator_component(
    examples: Input[Examples],
    model: Input[Model],
    evaluation: Output[ModelEvaluation],
    blessing: Output[ModelBlessing],
    baseline_model: Input[Model] | None = None,
    eval_config: Parameter[dict] | None = None,
    example_splits: Parameter[list] | None = None,
    context: ExecutionContext = None,
) -> None:
    """Evaluate `model` with TFMA on `example_splits` of `examples` (default: the eval split),
    comparing it with `baseline_model` if there is one; write the evaluation (load it with
    `tfma.load_eval_result(uri)`) and a blessing with `blessed` and a readable `reason`."""
    import tensorflow_model_analysis as tfma
    from tensorflow_model_analysis.utils import config_util

    config = from_parameter(eval_config, tfma.EvalConfig, what="Evaluator eval_config")
    has_baseline = baseline_model is not None
    thresholds_set = bool(tfma.metrics.metric_thresholds_from_metrics_specs(config.metrics_specs))
    change_thresholds_set = config_util.has_change_threshold(config)
    # Without a baseline, TFMA drops the change thresholds and (rubber stamp) passes a first
    # model that has no value thresholds left to fail.
    config = config_util.update_eval_config_with_defaults(
        config, has_baseline=has_baseline, rubber_stamp=not has_baseline
    )
    config_util.verify_eval_config(config)
    if len(config.model_specs) > 2:
        raise ValueError(
            f"Evaluator: eval_config has {len(config.model_specs)} model specs; give one (the "
            f"candidate; the baseline's spec is derived from it)."
        )
    models = []
    for spec in config.model_specs:
        artifact = baseline_model if spec.is_baseline else model
        path = serving_model_path(artifact, component="Evaluator")
        log.info("Evaluator: %s model %s", spec.name or "candidate", path)
        models.append(
            tfma.default_eval_shared_model(
                eval_saved_model_path=path,
                model_name=spec.name,
                eval_config=config,
                rubber_stamp=not has_baseline and not spec.is_baseline,
            )
        )
    shared = models[0] if len(models) == 1 else models
    splits = list(example_splits or ["eval"])
    patterns = split_file_patterns(examples, splits, component="Evaluator")
    _run_tfma(tfma, shared, config, patterns, evaluation.uri, context.beam_args)

    result = verdict(
        tfma.load_validation_result(evaluation.uri),
        thresholds_set=thresholds_set,
        change_thresholds_set=change_thresholds_set,
        has_baseline=has_baseline,
    )
    write_blessing(blessing, result, model=model, baseline=baseline_model)
    evaluation.properties["example_splits"] = ",".join(splits)
    log.info("Evaluator: blessed=%s (%s)", result.blessed, result.reason)


def _run_tfma(
    tfma: Any,
    shared: Any,
    config: Any,
    patterns: dict[str, str],
    output: str,
    beam_args: tuple[str, ...],
) -> None:
    """TFMA's ExtractEvaluateAndWriteResults over the splits, in the node's Beam pipeline."""
    import apache_beam as beam

    batched = tfma.is_batched_input(shared, config)
    with beam_pipeline(beam_args) as p:
        reads = []
        for split, pattern in patterns.items():
            if batched:
                from tfx_bsl.public import tfxio

                source = tfxio.TFExampleRecord(
                    file_pattern=pattern,
                    raw_record_column_name=tfma.ARROW_INPUT_COLUMN,
                    telemetry_descriptors=["headrace", "Evaluator"],
                )
                reads.append(p | f"Read[{split}]" >> source.BeamSource())
            else:  # a legacy EvalSavedModel takes serialized examples
                reads.append(p | f"Read[{split}]" >> beam.io.ReadFromTFRecord(pattern))
        _ = (
            reads
            | "Flatten" >> beam.Flatten()
            | "ExtractEvaluateAndWriteResults"
            >> tfma.ExtractEvaluateAndWriteResults(
                eval_shared_model=shared, eval_config=config, output_path=output
            )
        )
    if not os.path.exists(os.path.join(output, tfma.VALIDATIONS_KEY)) and not any(
        name.startswith(tfma.VALIDATIONS_KEY) for name in os.listdir(output)
    ):
        raise RuntimeError(f"Evaluator: TFMA wrote no validation result to {output}.")
