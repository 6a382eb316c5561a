"""Tuner through the real local runner: a tiny KerasTuner search whose best hyperparameters are
written as TFX does and feed the Trainer (see test_trainer for the Trainer's side)."""

from __future__ import annotations

import json
import os

import pytest

from headrace.components.tuner import Tuner, TunerFnResult
from headrace.errors import UserCodeError
from tests.components import _transform_fixtures as fx


@pytest.fixture(scope="session")
def penguin_runs(tmp_path_factory):
    return fx.penguin_runs(tmp_path_factory)


def test_the_best_hyperparameters_are_a_keras_tuner_config(penguin_runs):
    import keras_tuner

    best = fx.output(penguin_runs.first, "Tuner", "best_hyperparameters")
    with open(os.path.join(best.uri, "best_hyperparameters.txt")) as f:
        config = json.load(f)
    hparams = keras_tuner.HyperParameters.from_config(config)
    assert hparams.get("learning_rate") in (1e-2, 3e-2)
    assert hparams.get("num_layers") in (1, 2)
    assert hparams.get("units") in (8, 16)
    assert best.properties["best_values"] == hparams.values
    assert 0.0 <= best.properties["best_score"] <= 1.0


def test_tuner_fn_must_return_a_tuner_fn_result(tmp_path, sqlite_url):
    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    tuner = Tuner(
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        tuner_fn="tests.components.modules.bad_module.tuner_fn_returning_a_dict",
    )
    summary = fx.run(sqlite_url, tmp_path, [examples, schema, tuner])
    with pytest.raises(
        UserCodeError,
        match=r"tuner_fn returned dict; it must return TunerFnResult\(tuner=<a KerasTuner tuner>",
    ):
        raise summary.failed["Tuner"]


def test_tuner_fn_result_has_tfxs_shape():
    result = TunerFnResult(tuner="t", fit_kwargs={"x": 1})
    assert result._fields == ("tuner", "fit_kwargs")
    assert result.tuner == "t" and result.fit_kwargs == {"x": 1}
