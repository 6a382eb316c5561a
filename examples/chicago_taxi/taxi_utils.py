"""The Chicago taxi module file: a TFX-style `preprocessing_fn` (vocabularies, quantile buckets,
z-scores, the "big tipper" label) and a wide-and-deep Keras `run_fn` whose serving signature takes
serialized raw tf.Examples and applies the transform inside the model.

Written as for TFX (it imports FnArgs and DataAccessor from TFX, which Headrace provides when TFX
is not installed); use it for both Transform and Trainer:

    Transform(examples=..., schema=..., module_file="examples/chicago_taxi/taxi_utils.py")
    Trainer(module_file="examples/chicago_taxi/taxi_utils.py", examples=<transformed examples>,
            transform_graph=..., train_args={"num_steps": 1000}, eval_args={"num_steps": 100})

Many cells of the data are empty on purpose: such features arrive as SparseTensors and are
filled in before they are transformed.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.trainer.fn_args_utils import DataAccessor, FnArgs
from tfx_bsl.public import tfxio

# Scaled to z-scores.
DENSE_FLOAT_FEATURES = ["trip_miles", "fare", "trip_seconds"]
# Bucketized by quantiles into BUCKETS buckets.
BUCKET_FEATURES = ["pickup_latitude", "pickup_longitude", "dropoff_latitude", "dropoff_longitude"]
BUCKETS = 10
# Mapped to integers with a vocabulary of the VOCABULARY_SIZE most frequent values; other values
# are hashed into OOV_BUCKETS extra ids.
VOCABULARY_FEATURES = ["payment_type", "company"]
VOCABULARY_SIZE = 1000
OOV_BUCKETS = 10
# Already small integers: feature -> number of distinct ids (largest value + 1).
CATEGORICAL_FEATURES = {
    "trip_start_hour": 24,
    "trip_start_day": 8,
    "trip_start_month": 13,
    "pickup_community_area": 78,
    "dropoff_community_area": 78,
}
LABEL = "tips"
FARE = "fare"
BIG_TIP_FRACTION = 0.2


def transformed_name(key: str) -> str:
    return key + "_xf"


def _dense(x: Any) -> Any:
    """A [batch] tensor: missing values of a sparse (optional) feature become '' or 0."""
    if isinstance(x, tf.sparse.SparseTensor):
        default = "" if x.dtype == tf.string else 0
        x = tf.sparse.to_dense(tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default)
    return tf.reshape(x, [-1])


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """tf.transform's callback: raw features in, model features out."""
    outputs = {}
    for key in DENSE_FLOAT_FEATURES:
        outputs[transformed_name(key)] = tft.scale_to_z_score(_dense(inputs[key]))
    for key in VOCABULARY_FEATURES:
        outputs[transformed_name(key)] = tft.compute_and_apply_vocabulary(
            _dense(inputs[key]), top_k=VOCABULARY_SIZE, num_oov_buckets=OOV_BUCKETS
        )
    for key in BUCKET_FEATURES:
        outputs[transformed_name(key)] = tft.bucketize(_dense(inputs[key]), BUCKETS)
    for key in CATEGORICAL_FEATURES:
        outputs[transformed_name(key)] = tf.cast(_dense(inputs[key]), tf.int64)
    # The label: did the passenger tip more than 20% of the fare?
    fare = tf.cast(_dense(inputs[FARE]), tf.float32)
    tips = tf.cast(_dense(inputs[LABEL]), tf.float32)
    outputs[transformed_name(LABEL)] = tf.where(
        tf.math.is_nan(fare),
        tf.zeros_like(fare, dtype=tf.int64),
        tf.cast(tips > fare * BIG_TIP_FRACTION, tf.int64),
    )
    return outputs


def _input_fn(
    file_pattern: list[str],
    data_accessor: DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    batch_size: int,
) -> tf.data.Dataset:
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=transformed_name(LABEL)),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()


def _build_keras_model(hidden_units: list[int], learning_rate: float) -> tf.keras.Model:
    """Wide (one-hot ids) and deep (z-scores through Dense layers) in one model."""
    deep_inputs = {
        transformed_name(k): tf.keras.layers.Input(name=transformed_name(k), shape=(1,))
        for k in DENSE_FLOAT_FEATURES
    }
    id_sizes = {transformed_name(k): VOCABULARY_SIZE + OOV_BUCKETS for k in VOCABULARY_FEATURES}
    id_sizes |= {transformed_name(k): BUCKETS for k in BUCKET_FEATURES}
    id_sizes |= {transformed_name(k): n for k, n in CATEGORICAL_FEATURES.items()}
    wide_inputs = {
        name: tf.keras.layers.Input(name=name, shape=(1,), dtype="int64") for name in id_sizes
    }
    deep = tf.keras.layers.concatenate(list(deep_inputs.values()))
    for units in hidden_units:
        deep = tf.keras.layers.Dense(units, activation="relu")(deep)
    wide = tf.keras.layers.concatenate(
        [
            tf.keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(
                wide_inputs[name]
            )
            for name, size in id_sizes.items()
        ]
    )
    output = tf.keras.layers.Dense(1, activation="sigmoid")(
        tf.keras.layers.concatenate([deep, wide])
    )
    model = tf.keras.Model({**deep_inputs, **wide_inputs}, output)
    model.compile(
        loss="binary_crossentropy",
        optimizer=tf.keras.optimizers.Adam(learning_rate=learning_rate),
        metrics=[tf.keras.metrics.BinaryAccuracy(), tf.keras.metrics.AUC(name="auc")],
    )
    return model


def _serving_signatures(model: Any, tf_transform_output: tft.TFTransformOutput) -> dict[str, Any]:
    # Tracked by the model so that the SavedModel includes the transform.
    model.tft_layer = tf_transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples_fn(serialized: Any) -> Any:
        raw_feature_spec = tf_transform_output.raw_feature_spec()
        raw_feature_spec.pop(LABEL)  # not there at serving time
        transformed = model.tft_layer(tf.io.parse_example(serialized, raw_feature_spec))
        return {"outputs": model(transformed)}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features_fn(serialized: Any) -> Any:
        raw = tf.io.parse_example(serialized, tf_transform_output.raw_feature_spec())
        return model.tft_layer(raw)

    return {"serving_default": serve_tf_examples_fn, "transform_features": transform_features_fn}


def run_fn(fn_args: FnArgs) -> None:
    """Train the model on the transformed examples and save it with its serving signature."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train_dataset = _input_fn(
        fn_args.train_files, fn_args.data_accessor, tf_transform_output, batch_size=40
    )
    eval_dataset = _input_fn(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, batch_size=40
    )
    config = fn_args.custom_config or {}
    model = _build_keras_model(
        hidden_units=config.get("hidden_units", [32, 16]),
        learning_rate=config.get("learning_rate", 0.005),
    )
    model.fit(
        train_dataset,
        steps_per_epoch=fn_args.train_steps,
        validation_data=eval_dataset,
        validation_steps=fn_args.eval_steps,
        callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)],
        verbose=0,
    )
    signatures = _serving_signatures(model, tf_transform_output)
    model.save(fn_args.serving_model_dir, save_format="tf", signatures=signatures)
