"""BulkInferrer: batch inference of a Model over splits of an Examples artifact with tfx-bsl's
RunInference in a Beam pipeline → an InferenceResult of PredictionLog TFRecords (TFX's layout:
`prediction_logs-*.gz`, gzipped TFRecords of `tensorflow_serving.apis.PredictionLog`)."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment, union-attr"

from __future__ import annotations

import logging
import os
from typing import Any

from headrace.components.beam import beam_pipeline
from headrace.components.blessings import is_blessed
from headrace.components.model_paths import serving_model_path
from headrace.components.proto_parameters import to_parameter
from headrace.components.split_files import split_file_patterns
from headrace.components.splits import split_names
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.dsl.node import Channel, Node
from headrace.errors import DefinitionError
from headrace.types import Examples, InferenceResult, Model, ModelBlessing

log = logging.getLogger(__name__)

PREDICTION_LOGS = "prediction_logs"


def BulkInferrer(
    examples: Channel,
    model: Channel,
    model_blessing: Channel | None = None,
    data_spec: Any = None,
    model_spec: Any = None,
) -> Node:
    """A TFX BulkInferrer node; output `inference_result` (InferenceResult).

    `data_spec` and `model_spec` are TFX's protos, or the same as dicts:
    `data_spec={"example_splits": ["unlabelled"]}` (default: every split),
    `model_spec={"model_signature_name": ["serving_default"], "tag": ["serve"]}` (default: the
    model's serving signature). With a `model_blessing` that is not blessed, nothing is inferred.
    """
    specs = {
        name: to_parameter(value, component="BulkInferrer", argument=name, message=message)
        for name, value, message in (
            ("data_spec", data_spec, "DataSpec"),
            ("model_spec", model_spec, "ModelSpec"),
        )
    }
    unknown = sorted(set(specs["data_spec"] or {}) - {"example_splits"}) + sorted(
        set(specs["model_spec"] or {}) - {"model_signature_name", "tag"}
    )
    if unknown:
        raise DefinitionError(
            f"BulkInferrer: {unknown} are not supported; data_spec takes example_splits and "
            f"model_spec takes model_signature_name and tag."
        )
    return _bulk_inferrer_component(
        examples=examples, model=model, model_blessing=model_blessing, **specs
    )


@component(name="BulkInferrer", beam=True)
def _bulk_inferrer_component(
    examples: Input[Examples],
    model: Input[Model],
    inference_result: Output[InferenceResult],
    model_blessing: Input[ModelBlessing] | None = None,
    data_spec: Parameter[dict] | None = None,
    model_spec: Parameter[dict] | None = None,
    context: ExecutionContext = None,
) -> None:
    """Run `model` on the chosen splits of `examples` (default: all) and write one
    PredictionLog per example to `prediction_logs-*.gz`."""
    import apache_beam as beam
    from tensorflow_serving.apis import prediction_log_pb2
    from tfx_bsl.public.beam import RunInference
    from tfx_bsl.public.proto import model_spec_pb2

    if model_blessing is not None and not is_blessed(model_blessing):
        why = model_blessing.properties.get("reason") or "no reason recorded"
        log.warning("BulkInferrer: the model is not blessed (%s); inferring nothing", why)
        inference_result.properties.update(
            {"inferred": False, "reason": f"the model was not blessed: {why}"}
        )
        return
    data: dict[str, Any] = data_spec or {}
    splits = list(data.get("example_splits") or split_names(examples))
    patterns = split_file_patterns(examples, splits, component="BulkInferrer")
    spec: dict[str, Any] = model_spec or {}
    inference_spec = model_spec_pb2.InferenceSpecType(
        saved_model_spec=model_spec_pb2.SavedModelSpec(
            model_path=serving_model_path(model, component="BulkInferrer"),
            signature_name=list(spec.get("model_signature_name") or []),
            tag=list(spec.get("tag") or []),
        )
    )
    with beam_pipeline(context.beam_args) as p:
        reads = [
            p | f"Read[{split}]" >> beam.io.ReadFromTFRecord(pattern)
            for split, pattern in patterns.items()
        ]
        _ = (
            reads
            | "Flatten" >> beam.Flatten()
            | "RunInference" >> RunInference(inference_spec)
            | "Write"
            >> beam.io.WriteToTFRecord(
                os.path.join(inference_result.uri, PREDICTION_LOGS),
                file_name_suffix=".gz",
                coder=beam.coders.ProtoCoder(prediction_log_pb2.PredictionLog),
            )
        )
    inference_result.properties.update({"inferred": True, "example_splits": ",".join(splits)})
