"""The penguin module file, written as for TFX (after TFX's penguin_utils_keras.py): a TFT
`preprocessing_fn`, a Keras `run_fn(fn_args)` whose serving signature takes serialized raw
tf.Examples and applies the transform inside the model, and a KerasTuner `tuner_fn(fn_args)`.

It imports FnArgs and TunerFnResult from TFX, as TFX module files do (Headrace serves them; TFX is
not installed), and builds the model under Headrace's distribution-strategy helper (all GPUs it is
given, else the CPU). The model, search space and batch sizes are small: the data is 334 rows.
"""

from __future__ import annotations

from typing import Any

import keras_tuner
import tensorflow as tf
import tensorflow_transform as tft
from tensorflow import keras
from tfx import v1 as tfx
from tfx.components.trainer.fn_args_utils import FnArgs
from tfx_bsl.public import tfxio

from headrace.components.strategy import distribution_strategy

_FEATURE_KEYS = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
_LABEL_KEY = "species"

_TRAIN_BATCH_SIZE = 20
_EVAL_BATCH_SIZE = 10


def _transformed_name(key: str) -> str:
    return key + "_xf"


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """tf.transform's callback function for preprocessing inputs."""
    outputs = {}
    for key in _FEATURE_KEYS:
        outputs[_transformed_name(key)] = tft.scale_to_z_score(inputs[key])
    outputs[_transformed_name(_LABEL_KEY)] = inputs[_LABEL_KEY]
    return outputs


def _get_serve_tf_examples_fn(model: Any, tf_transform_output: Any) -> Any:
    """A function that parses serialized raw tf.Examples and applies the transform."""
    model.tft_layer = tf_transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples_fn(serialized_tf_examples: Any) -> Any:
        feature_spec = tf_transform_output.raw_feature_spec()
        feature_spec.pop(_LABEL_KEY)
        parsed_features = tf.io.parse_example(serialized_tf_examples, feature_spec)
        transformed_features = model.tft_layer(parsed_features)
        return {"outputs": tf.nn.softmax(model(transformed_features))}

    return serve_tf_examples_fn


def _input_fn(
    file_pattern: list[str], data_accessor: Any, tf_transform_output: Any, batch_size: int
) -> Any:
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(
            batch_size=batch_size, label_key=_transformed_name(_LABEL_KEY)
        ),
        tf_transform_output.transformed_metadata.schema,
    ).repeat()


def _get_hyperparameters() -> keras_tuner.HyperParameters:
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", [1e-2, 3e-2], default=3e-2)
    hp.Int("num_layers", 1, 2, default=1)
    hp.Choice("units", [8, 16], default=16)
    return hp


def _make_keras_model(hparams: keras_tuner.HyperParameters) -> Any:
    inputs = [keras.layers.Input(shape=(1,), name=_transformed_name(f)) for f in _FEATURE_KEYS]
    d = keras.layers.concatenate(inputs)
    for _ in range(int(hparams.get("num_layers"))):
        d = keras.layers.Dense(int(hparams.get("units")), activation="relu")(d)
    outputs = keras.layers.Dense(3)(d)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(hparams.get("learning_rate")),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def tuner_fn(fn_args: FnArgs) -> tfx.components.TunerFnResult:
    """Build the tuner using the KerasTuner API."""
    tuner = keras_tuner.RandomSearch(
        _make_keras_model,
        max_trials=2,
        hyperparameters=_get_hyperparameters(),
        allow_new_entries=False,
        objective=keras_tuner.Objective("val_sparse_categorical_accuracy", "max"),
        directory=fn_args.working_dir,
        project_name="penguin_tuning",
        seed=1,
    )
    transform_graph = tft.TFTransformOutput(fn_args.transform_graph_path)
    train_dataset = _input_fn(
        fn_args.train_files, fn_args.data_accessor, transform_graph, _TRAIN_BATCH_SIZE
    )
    eval_dataset = _input_fn(
        fn_args.eval_files, fn_args.data_accessor, transform_graph, _EVAL_BATCH_SIZE
    )
    return tfx.components.TunerFnResult(
        tuner=tuner,
        fit_kwargs={
            "x": train_dataset,
            "validation_data": eval_dataset,
            "steps_per_epoch": fn_args.train_steps,
            "validation_steps": fn_args.eval_steps,
            "verbose": 0,
        },
    )


def run_fn(fn_args: FnArgs) -> None:
    """Train the model based on given args."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train_dataset = _input_fn(
        fn_args.train_files, fn_args.data_accessor, tf_transform_output, _TRAIN_BATCH_SIZE
    )
    eval_dataset = _input_fn(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, _EVAL_BATCH_SIZE
    )
    if fn_args.hyperparameters:
        hparams = keras_tuner.HyperParameters.from_config(fn_args.hyperparameters)
    else:
        hparams = _get_hyperparameters()
    with distribution_strategy().scope():
        model = _make_keras_model(hparams)
    tensorboard_callback = keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)
    model.fit(
        train_dataset,
        steps_per_epoch=fn_args.train_steps,
        validation_data=eval_dataset,
        validation_steps=fn_args.eval_steps,
        callbacks=[tensorboard_callback],
        verbose=0,
    )
    signatures = {"serving_default": _get_serve_tf_examples_fn(model, tf_transform_output)}
    model.save(fn_args.serving_model_dir, save_format="tf", signatures=signatures)
