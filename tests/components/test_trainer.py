"""Trainer through the real local runner: after Transform (the transform applied inside the
exported model), without Transform, with a Tuner's hyperparameters; caching on the module file's
content; and the module-file mistakes users make."""

from __future__ import annotations

import glob
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from headrace.components.fn_args import FnArgs, split_args
from headrace.components.module_file import UserModuleError, load_user_function
from headrace.components.trainer import Trainer
from headrace.errors import DefinitionError, UserCodeError
from headrace.launcher import CACHED, EXECUTED
from headrace.metadata import open_store
from tests.components import _transform_fixtures as fx

BAD = "tests.components.modules.bad_module"


@pytest.fixture(scope="session")
def penguin_runs(tmp_path_factory):
    return fx.penguin_runs(tmp_path_factory)


def _accuracy(model_uri, rows):
    import tensorflow as tf

    loaded = tf.saved_model.load(os.path.join(model_uri, "Format-Serving"))
    serve = loaded.signatures["serving_default"]
    probabilities = serve(examples=fx.serialized_examples(rows))["outputs"].numpy()
    labels = np.array([row["species"] for row in rows])
    return float((probabilities.argmax(axis=1) == labels).mean())


def test_the_exported_model_classifies_serialized_raw_examples(penguin_runs):
    first = penguin_runs.first
    assert first.ok, first.failed
    model = fx.output(first, "Trainer", "model")
    # Raw eval rows, serialized as tf.Examples: the transform runs inside the model.
    accuracy = _accuracy(model.uri, penguin_runs.prepared.eval_rows)
    assert accuracy > 0.6, f"eval accuracy {accuracy:.3f} is not clearly better than chance (1/3)"
    model_run = fx.output(first, "Trainer", "model_run")
    assert glob.glob(os.path.join(model_run.uri, "**", "events.out.tfevents.*"), recursive=True)


def test_an_unchanged_rerun_is_all_cache_hits_and_an_edited_module_file_reruns_transform(
    penguin_runs,
):
    assert set(fx.outcomes(penguin_runs.again).values()) == {CACHED}
    assert fx.output(penguin_runs.again, "Trainer", "model").id == (
        fx.output(penguin_runs.first, "Trainer", "model").id
    )
    edited = penguin_runs.edited
    assert edited.ok, edited.failed
    assert fx.outcomes(edited) == {
        "give_examples": CACHED,
        "give_schema": CACHED,
        "Transform": EXECUTED,
        "Tuner": EXECUTED,
        "Trainer": EXECUTED,
    }
    assert "no earlier execution with cache key" in edited.results["Transform"].cache_reason


def test_the_trainer_gets_the_tuners_best_hyperparameters(penguin_runs):
    import tensorflow as tf

    best = fx.output(penguin_runs.first, "Tuner", "best_hyperparameters")
    with open(os.path.join(best.uri, "best_hyperparameters.txt")) as f:
        units = json.load(f)["values"]["units"]
    loaded = tf.saved_model.load(
        os.path.join(fx.output(penguin_runs.first, "Trainer", "model").uri, "Format-Serving")
    )
    kernels = [v.shape for v in loaded.trainable_variables if "kernel" in v.name]
    assert kernels[0] == (4, units)  # the first Dense layer has the tuned width


def test_trainer_without_transform(tmp_path, sqlite_url, caplog):
    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    trainer = Trainer(
        module_file=str(fx.MODULES / "penguin_raw.py"),
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        train_args={"num_steps": 100},
        eval_args={"num_steps": 5},
        custom_config={"learning_rate": 0.05},
    )
    with caplog.at_level(logging.INFO, logger="headrace.components"):
        summary = fx.run(sqlite_url, tmp_path, [examples, schema, trainer])
    assert summary.ok, summary.failed
    assert "Trainer: no GPU visible; training on CPU (/device:CPU:0)" in caplog.text
    model = fx.output(summary, "Trainer", "model")
    assert _accuracy(model.uri, prepared.eval_rows) > 0.6


def _run_trainer(tmp_path, url, **kwargs):
    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    trainer = Trainer(
        examples=examples.outputs["examples"], schema=schema.outputs["schema"], **kwargs
    )
    summary = fx.run(url, tmp_path, [examples, schema, trainer])
    assert not summary.ok
    error = summary.failed["Trainer"]
    # Nothing published, nothing left behind (a missing module file fails before the execution
    # is even recorded: the cache key needs the file's content).
    executions = open_store(url).run_executions("components", summary.run_id, "Trainer")
    for execution in executions:
        assert execution.state == "FAILED" and execution.outputs == {}
        for port in ("model", "model_run"):
            uri = os.path.join(tmp_path, "components", "Trainer", port, str(execution.id))
            assert not os.path.exists(uri)
    return error


def test_a_missing_module_file_names_the_path(tmp_path, sqlite_url):
    error = _run_trainer(tmp_path, sqlite_url, module_file=str(tmp_path / "nowhere.py"))
    assert isinstance(error, DefinitionError)
    assert "module_file" in str(error) and "nowhere.py" in str(error)


def test_a_module_without_run_fn_says_what_to_write(tmp_path, sqlite_url):
    module = str(fx.MODULES / "bad_module.py")
    error = _run_trainer(tmp_path, sqlite_url, module_file=module)
    assert isinstance(error, UserCodeError)
    assert isinstance(error.__cause__, UserModuleError)
    with pytest.raises(UserModuleError, match=r"'run_fn' is not defined in module .*bad_module.py"):
        raise error.__cause__
    assert "It defines trainer_fn, which Trainer does not call; write a `run_fn`" in str(error)


def test_an_exception_in_run_fn_keeps_the_users_traceback(tmp_path, sqlite_url):
    error = _run_trainer(tmp_path, sqlite_url, run_fn=f"{BAD}.run_fn_that_raises")
    with pytest.raises(UserCodeError, match=r"raised ValueError: bad penguin data: 1 rows"):
        raise error
    assert "bad_module.py" in str(error)  # where it happened
    assert "in _check_inputs" in error.user_traceback
    assert "in run_fn_that_raises" in error.user_traceback


def test_a_feature_the_schema_does_not_have_names_the_module_line_and_fix(tmp_path, sqlite_url):
    error = _run_trainer(tmp_path, sqlite_url, run_fn=f"{BAD}.run_fn_with_a_typo")
    with pytest.raises(
        UserCodeError,
        match=r"Node 'Trainer': Trainer: feature 'speceis' is not in the schema; module "
        r".*bad_module.py, line \d+ \(in run_fn_with_a_typo\): "
        r"`feature_spec.pop\(\"speceis\"\)  # the label is \"species\"`\. ",
    ):
        raise error
    assert "The schema has: body_mass_g, culmen_depth_mm" in str(error)
    assert "Fix the feature name in the module" in str(error)


def test_run_fn_that_saves_no_model(tmp_path, sqlite_url):
    error = _run_trainer(tmp_path, sqlite_url, run_fn=f"{BAD}.run_fn_that_saves_nothing")
    with pytest.raises(UserCodeError, match=r"run_fn returned without saving a SavedModel"):
        raise error


def test_module_and_function_arguments():
    with pytest.raises(UserModuleError, match=r"give exactly one of module_file .* neither"):
        load_user_function(
            component="Trainer", function="run_fn", module_file=None, function_path=None
        )
    with pytest.raises(UserModuleError, match=r"must be a dotted path"):
        load_user_function(
            component="Trainer", function="run_fn", module_file=None, function_path="run_fn"
        )
    with pytest.raises(UserModuleError, match=r"cannot import module 'no_such_pkg.training'"):
        load_user_function(
            component="Trainer",
            function="run_fn",
            module_file=None,
            function_path="no_such_pkg.training.run_fn",
        )
    fn = load_user_function(
        component="Trainer",
        function="run_fn",
        module_file=None,
        function_path=f"{BAD}.run_fn_that_raises",
    )
    assert fn.resolve().__name__ == "run_fn_that_raises"


def test_train_args_are_checked():
    assert split_args(
        {"num_steps": 0}, component="Trainer", parameter="train_args", default_split="train"
    ) == split_args(None, component="Trainer", parameter="train_args", default_split="train")
    with pytest.raises(DefinitionError, match=r"train_args has unknown keys \['num_step'\]"):
        split_args(
            {"num_step": 5}, component="Trainer", parameter="train_args", default_split="train"
        )
    with pytest.raises(DefinitionError, match=r"must be a list of split names"):
        split_args(
            {"splits": "train"}, component="Trainer", parameter="train_args", default_split="train"
        )


def test_fn_args_carry_tfx_names():
    args = FnArgs(schema_path="s", schema_file="s", transform_graph_path="t", transform_output="t")
    for name in (
        "train_files",
        "eval_files",
        "transform_output",
        "transform_graph_path",
        "schema_file",
        "schema_path",
        "serving_model_dir",
        "model_run_dir",
        "train_steps",
        "eval_steps",
        "data_accessor",
        "custom_config",
        "hyperparameters",
        "base_model",
        "working_dir",
        "eval_model_dir",
    ):
        assert hasattr(args, name), name


TAXI_MODULE = str(fx.HERE.parents[1] / "examples" / "chicago_taxi" / "taxi_utils.py")


def _auc(labels, scores):
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores)] = np.arange(1, len(scores) + 1)
    positive = labels == 1
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def test_chicago_taxi_vocabularies_buckets_z_scores_and_a_wide_and_deep_model(tmp_path, sqlite_url):
    """The second example: TFX's taxi module (many empty cells) through Transform and Trainer."""
    import tensorflow as tf
    import tensorflow_transform as tft

    from headrace.components.transform import Transform

    prepared = fx.prepare("taxi", fx.DATA / "chicago_taxi_sample.csv", tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    transform = Transform(
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        module_file=TAXI_MODULE,
    )
    trainer = Trainer(
        module_file=TAXI_MODULE,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        train_args={"num_steps": 200},
        eval_args={"num_steps": 10},
    )
    summary = fx.run(sqlite_url, tmp_path, [examples, schema, transform, trainer])
    assert summary.ok, summary.failed

    graph = tft.TFTransformOutput(fx.output(summary, "Transform", "transform_graph").uri)
    vocabularies = os.listdir(os.path.join(graph.transform_savedmodel_dir, "assets"))
    assert len(vocabularies) == 2  # payment_type and company
    assets = Path(graph.transform_savedmodel_dir, "assets")
    payment_types = {
        line for name in vocabularies for line in (assets / name).read_text().splitlines()
    }
    assert {"Cash", "Credit Card"} <= payment_types
    spec = graph.transformed_feature_spec()
    assert spec["pickup_latitude_xf"].dtype == tf.int64 and spec["fare_xf"].dtype == tf.float32

    rows = prepared.eval_rows
    model = tf.saved_model.load(
        os.path.join(fx.output(summary, "Trainer", "model").uri, "Format-Serving")
    )
    scores = model.signatures["serving_default"](examples=fx.serialized_examples(rows))
    scores = scores["outputs"].numpy().reshape(-1)
    labels = np.array([int(r["tips"] > 0.2 * r["fare"]) for r in rows])
    majority = max(labels.mean(), 1 - labels.mean())
    assert ((scores > 0.5) == labels).mean() > majority
    assert _auc(labels, scores) > 0.8


def test_tfx_names_module_files_import_are_served_without_tfx():
    from headrace.components import tfx_compat
    from headrace.components.fn_args import DataAccessor
    from headrace.components.tuner import TunerFnResult

    tfx_compat.install()
    from tfx import v1 as tfx
    from tfx.components.trainer.fn_args_utils import DataAccessor as TfxDataAccessor
    from tfx.components.trainer.fn_args_utils import FnArgs as TfxFnArgs
    from tfx.components.tuner.component import TunerFnResult as TfxTunerFnResult

    assert tfx.components.FnArgs is TfxFnArgs is FnArgs
    assert tfx.components.TunerFnResult is TfxTunerFnResult is TunerFnResult
    assert TfxDataAccessor is DataAccessor
    # The rest of TFX's API is headrace.tfx's (tests/tfx); what it lacks fails by name.
    with pytest.raises(ImportError, match=r"tfx.v1.dsl.Cond is not provided by Headrace's TFX"):
        _ = tfx.dsl.Cond
    with pytest.raises(ModuleNotFoundError, match=r"No module named 'tfx.extensions': TFX is not"):
        import tfx.extensions


def test_fn_args_from_artifacts(tmp_path):
    from headrace.components.fn_args import common_fn_args
    from headrace.types import Examples, HyperParameters, Model, Schema, TransformGraph

    def artifact(cls, name, files=(), **properties):
        os.makedirs(tmp_path / name)
        for f in files:
            (tmp_path / name / f).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / f).write_text("{}")
        return cls(str(tmp_path / name), properties)

    examples = artifact(
        Examples,
        "ex",
        ["Split-train/a.gz", "Split-eval/b.gz", "Split-test/c.gz"],
        split_names='["train", "eval", "test"]',
    )
    args = common_fn_args(
        component="Trainer",
        examples=examples,
        transform_graph=artifact(TransformGraph, "tg"),
        schema=artifact(Schema, "schema", ["schema.pbtxt"]),
        train_args={"splits": ["train", "eval"], "num_steps": 7},
        eval_args={"splits": ["test"]},
        custom_config={"k": 1},
        hyperparameters=artifact(HyperParameters, "hp", ["best_hyperparameters.txt"]),
        base_model=artifact(Model, "base", ["Format-Serving/saved_model.pb"]),
        working_dir="/w",
    )
    assert args.train_files == [f"{tmp_path}/ex/Split-train/*", f"{tmp_path}/ex/Split-eval/*"]
    assert args.eval_files == [f"{tmp_path}/ex/Split-test/*"]
    assert (args.train_steps, args.eval_steps) == (7, None)
    assert args.schema_path == args.schema_file == f"{tmp_path}/schema/schema.pbtxt"
    assert args.transform_graph_path == args.transform_output == f"{tmp_path}/tg"
    assert args.base_model == f"{tmp_path}/base/Format-Serving"
    assert args.hyperparameters == {} and args.custom_config == {"k": 1}
    assert args.working_dir == "/w" and callable(args.data_accessor.tf_dataset_factory)
    with pytest.raises(DefinitionError, match=r"has no split 'validation'; it has"):
        common_fn_args(
            component="Trainer",
            examples=examples,
            transform_graph=None,
            schema=None,
            train_args=None,
            eval_args={"splits": ["validation"]},
            custom_config=None,
        )


def test_distribution_strategy_on_a_machine_without_gpus():
    import tensorflow as tf

    from headrace.components.strategy import describe_devices, distribution_strategy

    assert distribution_strategy() is tf.distribute.get_strategy()  # the default strategy
    assert describe_devices().startswith("no GPU visible; training on CPU")
