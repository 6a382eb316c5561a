"""Shared inputs of the Evaluator, InfraValidator, Pusher and BulkInferrer tests: the penguin data
as one Examples artifact (`Split-train/`, `Split-eval/`, `Split-unlabelled/`, gzipped tf.Example
TFRecords), tiny Keras models exported as TFX-layout Model artifacts (`Format-Serving/` SavedModel
whose `serving_default` signature parses serialized tf.Examples), and a way to call a component's
function directly as the executor would.

Built once per test process (module-level memo), so every test module that imports these shares
them, and nothing depends on ExampleGen or Trainer being built yet.
"""

from __future__ import annotations

import atexit
import csv
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from headrace.dsl import Component, ExecutionContext
from headrace.types import Artifact, Examples, Model

DATA = Path(__file__).parent / "data"
LABELLED_CSV = DATA / "penguins_processed.csv"
UNLABELLED_CSV = DATA / "penguins_unlabelled.csv"
FEATURES = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
LABEL = "species"

_lock = threading.Lock()
_memo: dict[str, Any] = {}
_scratch = tempfile.mkdtemp(prefix="headrace-model-fixtures-")
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)


def scratch(name: str) -> str:
    """A fresh directory under this process's fixture scratch space."""
    path = tempfile.mkdtemp(prefix=f"{name}-", dir=_scratch)
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [{k: int(v) if k == LABEL else float(v) for k, v in row.items()} for row in rows]


def penguin_splits() -> dict[str, list[dict[str, Any]]]:
    """train:eval 2:1 by row number, and the unlabelled rows (no `species`)."""
    rows = read_rows(LABELLED_CSV)
    return {
        "train": [r for i, r in enumerate(rows) if i % 3 != 2],
        "eval": [r for i, r in enumerate(rows) if i % 3 == 2],
        "unlabelled": read_rows(UNLABELLED_CSV),
    }


def to_example(row: Mapping[str, Any]) -> bytes:
    import tensorflow as tf

    feature = {}
    for name, value in row.items():
        if isinstance(value, int):
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
        else:
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_examples(uri: str, splits: Mapping[str, list[Mapping[str, Any]]]) -> Examples:
    """An Examples artifact in the TFX layout: two gzipped TFRecord shards per split."""
    import tensorflow as tf

    for split, rows in splits.items():
        directory = os.path.join(uri, f"Split-{split}")
        os.makedirs(directory)
        half = len(rows) // 2
        for shard, part in enumerate((rows[:half], rows[half:])):
            path = os.path.join(directory, f"data_tfrecord-{shard:05d}-of-00002.gz")
            with tf.io.TFRecordWriter(path, options="GZIP") as writer:
                for row in part:
                    writer.write(to_example(row))
    return Examples(uri, {"split_names": json.dumps(list(splits))})


def penguin_examples() -> Examples:
    """train, eval and unlabelled penguin rows; built once per process."""
    with _lock:
        if "examples" not in _memo:
            _memo["examples"] = write_examples(
                os.path.join(scratch("examples"), "examples"), penguin_splits()
            )
        return _memo["examples"]


def _serving_fn(model: Any, features: list[str]) -> Any:
    import tensorflow as tf

    spec = {k: tf.io.FixedLenFeature([1], tf.float32) for k in features}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples: Any) -> Any:
        parsed = tf.io.parse_example(examples, spec)
        return {"probabilities": model([parsed[k] for k in features])}

    return serve


def train_model(
    uri: str, *, features: list[str], epochs: int, wrong_labels: bool = False, seed: int = 0
) -> Model:
    """A tiny softmax classifier of species from `features`, exported as a TFX Model artifact.

    `wrong_labels` trains on each row's label shifted to the next species: a model made worse
    on purpose, wrong on (almost) every example.
    """
    import numpy as np
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    train = penguin_splits()["train"]
    x = [np.array([[r[k]] for r in train], dtype="float32") for k in features]
    y = np.array([r[LABEL] for r in train], dtype="int64")
    if wrong_labels:
        y = (y + 1) % 3
    inputs = [tf.keras.Input(shape=(1,), name=k) for k in features]
    hidden = tf.keras.layers.Dense(16, activation="relu")(tf.keras.layers.concatenate(inputs))
    outputs = tf.keras.layers.Dense(3, activation="softmax")(hidden)
    model = tf.keras.Model(inputs, outputs)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.05),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    path = os.path.join(uri, "Format-Serving")
    model.save(path, save_format="tf", signatures={"serving_default": _serving_fn(model, features)})
    return Model(uri)


# `fair`: two features, briefly trained (about 0.95 accuracy on eval); `good`: all features (about
# 0.98, and at least as good on every species); `bad`: trained on wrong labels.
_RECIPES: dict[str, dict[str, Any]] = {
    "fair": {"features": FEATURES[:2], "epochs": 2},
    "good": {"features": FEATURES, "epochs": 60},
    "bad": {"features": FEATURES, "epochs": 5, "wrong_labels": True},
}


def model(name: str) -> Model:
    """One of the `_RECIPES` models, trained once per process when first asked for."""
    with _lock:
        if name not in _memo:
            _memo[name] = train_model(scratch(name), **_RECIPES[name])
        return _memo[name]


def failing_model() -> Model:
    """A SavedModel that loads but whose serving signature fails on every request."""
    import tensorflow as tf

    with _lock:
        if "failing" not in _memo:

            class Failing(tf.Module):
                @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
                def serve(self, examples: Any) -> Any:
                    tf.debugging.assert_equal(tf.size(examples), -1, message="refusing on purpose")
                    return {"outputs": tf.zeros([tf.size(examples)])}

            uri = scratch("failing")
            module = Failing()
            tf.saved_model.save(
                module,
                os.path.join(uri, "Format-Serving"),
                signatures={"serving_default": module.serve},
            )
            _memo["failing"] = Model(uri)
        return _memo["failing"]


def broken_model() -> Model:
    """A Model artifact whose `Format-Serving/saved_model.pb` is garbage."""
    uri = scratch("broken")
    os.makedirs(os.path.join(uri, "Format-Serving", "variables"))
    Path(uri, "Format-Serving", "saved_model.pb").write_bytes(b"this is not a SavedModel")
    return Model(uri)


def call_component(
    component: Component, *, beam_args: tuple[str, ...] = (), **arguments: Any
) -> dict[str, Artifact]:
    """Call a component's function as the executor would: fresh output directories and an
    ExecutionContext. Returns the outputs by name."""
    spec = component.spec
    outputs = {name: type_(scratch(f"{spec.name}-{name}")) for name, type_ in spec.outputs.items()}
    kwargs: dict[str, Any] = {**arguments, **outputs}
    for name in spec.inputs:
        kwargs.setdefault(name, None)
    if spec.context_argument:
        kwargs[spec.context_argument] = ExecutionContext(
            pipeline="test",
            pipeline_root=_scratch,
            run_id="test-run",
            node_id=spec.name,
            execution_id=1,
            beam_args=tuple(beam_args),
            temp_dir=scratch("temp"),
        )
    component.fn(**kwargs)
    return outputs
