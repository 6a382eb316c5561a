"""A TFX-style penguin `run_fn` without Transform: it reads the raw examples with the Schema
(`fn_args.schema_file`), and its serving signature parses serialized raw tf.Examples itself."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from google.protobuf import text_format
from tensorflow import keras
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import schema_utils
from tfx_bsl.public import tfxio

_FEATURE_KEYS = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
_LABEL_KEY = "species"


def _load_schema(path: str) -> Any:
    schema = schema_pb2.Schema()
    with open(path) as f:
        text_format.Parse(f.read(), schema)
    return schema


def _input_fn(file_pattern: list[str], data_accessor: Any, schema: Any, batch_size: int) -> Any:
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=_LABEL_KEY),
        schema,
    ).repeat()


def _make_keras_model(learning_rate: float) -> Any:
    inputs = [keras.layers.Input(shape=(1,), name=f) for f in _FEATURE_KEYS]
    d = keras.layers.concatenate(inputs)
    d = keras.layers.Dense(16, activation="relu")(d)
    outputs = keras.layers.Dense(3)(d)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def run_fn(fn_args: Any) -> None:
    schema = _load_schema(fn_args.schema_file)
    train_dataset = _input_fn(fn_args.train_files, fn_args.data_accessor, schema, 20)
    eval_dataset = _input_fn(fn_args.eval_files, fn_args.data_accessor, schema, 10)
    model = _make_keras_model((fn_args.custom_config or {}).get("learning_rate", 0.03))
    model.fit(
        train_dataset,
        steps_per_epoch=fn_args.train_steps,
        validation_data=eval_dataset,
        validation_steps=fn_args.eval_steps,
        callbacks=[keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)],
        verbose=0,
    )
    feature_spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    feature_spec.pop(_LABEL_KEY)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve(serialized: Any) -> Any:
        parsed = tf.io.parse_example(serialized, feature_spec)
        return {"outputs": tf.nn.softmax(model(parsed))}

    model.save(fn_args.serving_model_dir, save_format="tf", signatures={"serving_default": serve})
