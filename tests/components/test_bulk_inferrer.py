"""BulkInferrer on the unlabelled penguin rows with a real model: one PredictionLog per example,
readable with TF Serving's proto; nothing is inferred with a model that is not blessed."""

from __future__ import annotations

import glob
import os

import pytest

from headrace.components.bulk_inferrer import BulkInferrer, _bulk_inferrer_component
from headrace.errors import DefinitionError
from headrace.types import ModelBlessing
from tests.components import _model_fixtures as fixtures


def infer(**arguments):
    node = BulkInferrer(examples=None, model=None, **arguments)
    parameters = {k: v for k, v in node.arguments.items() if k not in node.component.spec.inputs}
    return fixtures.call_component(
        _bulk_inferrer_component,
        examples=fixtures.penguin_examples(),
        model=fixtures.model("good"),
        model_blessing=arguments.get("model_blessing"),
        **parameters,
    )["inference_result"]


def read_prediction_logs(uri: str) -> list:
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    files = glob.glob(os.path.join(uri, "prediction_logs-*.gz"))
    records = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in records]


def test_one_prediction_log_per_unlabelled_example():
    import tensorflow as tf

    result = infer(
        data_spec={"example_splits": ["unlabelled"]},
        model_spec={"model_signature_name": ["serving_default"]},
    )
    assert result.properties == {"inferred": True, "example_splits": "unlabelled"}
    logs = read_prediction_logs(result.uri)
    unlabelled = fixtures.penguin_splits()["unlabelled"]
    assert len(logs) == len(unlabelled) == 10
    sent = set()
    for log in logs:
        request, response = log.predict_log.request, log.predict_log.response
        sent.add(request.inputs["examples"].string_val[0])
        probabilities = tf.make_ndarray(response.outputs["probabilities"])
        assert probabilities.shape == (1, 3)
        assert abs(probabilities.sum() - 1) < 1e-4
    # Every example was sent once, as the serialized tf.Example the model's signature takes.
    assert sent == {fixtures.to_example(row) for row in unlabelled}


def test_nothing_is_inferred_with_a_model_that_is_not_blessed(tmp_path):
    blessing = ModelBlessing(str(tmp_path), {"blessed": False, "reason": "accuracy too low"})
    result = infer(model_blessing=blessing, data_spec={"example_splits": ["unlabelled"]})
    assert result.properties == {
        "inferred": False,
        "reason": "the model was not blessed: accuracy too low",
    }
    assert os.listdir(result.uri) == []


def test_specs_are_checked_when_the_pipeline_is_defined():
    with pytest.raises(DefinitionError, match=r"\['splits'\] are not supported"):
        BulkInferrer(examples=None, model=None, data_spec={"splits": ["unlabelled"]})
    node = BulkInferrer(examples=None, model=None, data_spec='{"example_splits": ["eval"]}')
    assert node.arguments["data_spec"] == {"example_splits": ["eval"]}
    assert set(node.outputs) == {"inference_result"}
