"""Evaluator on real TFMA and tiny real penguin models, through the local runner: a first model is
blessed without a baseline and pushed; a better one is compared with the pushed baseline and
pushed; a worse one is not blessed, with the failing thresholds and slices named, and not pushed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from headrace import Output, Parameter, Pipeline, component
from headrace.components.evaluator import Evaluator, _evaluator_component
from headrace.components.model_blessing import verdict
from headrace.components.pusher import Pusher
from headrace.dsl import Channel, LatestBlessedModelStrategy, Resolver
from headrace.errors import DefinitionError
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.types import Examples, Model, ModelBlessing
from tests.components import _model_fixtures as fixtures


@component
def import_examples(examples: Output[Examples], source: Parameter[str] = "") -> None:
    """Stand-in for ExampleGen: copies prepared Examples."""
    shutil.copytree(source, examples.uri, dirs_exist_ok=True)
    splits = sorted(d.removeprefix("Split-") for d in os.listdir(source))
    examples.properties["split_names"] = json.dumps(splits)


@component
def import_model(model: Output[Model], source: Parameter[str] = "") -> None:
    """Stand-in for the Trainer: copies a prepared model."""
    shutil.copytree(source, model.uri, dirs_exist_ok=True)


def eval_config():
    import tensorflow_model_analysis as tfma

    # As in TFX's penguin example: accuracy at least 0.5 on every slice, and no worse than the
    # baseline's; overall and per species.
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="species")],
        slicing_specs=[tfma.SlicingSpec(), tfma.SlicingSpec(feature_keys=["species"])],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(
                        class_name="SparseCategoricalAccuracy",
                        threshold=tfma.MetricThreshold(
                            value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.5}),
                            change_threshold=tfma.GenericChangeThreshold(
                                direction=tfma.MetricDirection.HIGHER_IS_BETTER,
                                absolute={"value": -1e-10},
                            ),
                        ),
                    )
                ]
            )
        ],
    )


def release_pipeline(model_dir: str, serving_dir: str) -> Pipeline:
    examples = import_examples(source=fixtures.penguin_examples().uri)
    model = import_model(source=model_dir)
    latest = Resolver(
        strategy_class=LatestBlessedModelStrategy,
        model=Channel(type=Model),
        model_blessing=Channel(type=ModelBlessing),
    ).with_id("latest_blessed_model")
    evaluator = Evaluator(
        examples=examples.outputs["examples"],
        model=model.outputs["model"],
        baseline_model=latest.outputs["model"],
        eval_config=eval_config(),
    )
    pusher = Pusher(
        model=model.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination={"filesystem": {"base_directory": serving_dir}},
    )
    return Pipeline(name="penguin", components=[examples, model, latest, evaluator, pusher])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs of one pipeline: the fair model, then the good one, then the bad one."""
    root = tmp_path_factory.mktemp("release")
    url = f"sqlite://{root}/metadata.sqlite"
    serving = str(root / "serving")
    summaries = {}
    for name in ("fair", "good", "bad"):
        pipeline = release_pipeline(fixtures.model(name).uri, serving)
        summary = LocalRunner(store=open_store(url), metadata_url=url).run(
            build(pipeline), root=str(root)
        )
        assert summary.ok, summary.failed
        summaries[name] = summary
    return summaries, serving


def _out(summary, node, port):
    return summary.results[node].outputs[port][0]


def _versions(serving: str) -> list[str]:
    return sorted(n for n in os.listdir(serving) if n.isdigit())


def test_first_model_is_blessed_without_a_baseline_and_pushed(runs):
    summaries, serving = runs
    first = summaries["fair"]
    assert first.results["latest_blessed_model"].outputs["model"] == []
    blessing = _out(first, "Evaluator", "blessing")
    assert blessing.properties["blessed"] is True
    assert blessing.properties["reason"] == (
        "no baseline yet (first run): change thresholds skipped, value thresholds passed"
    )
    assert blessing.properties["current_model_id"] == _out(first, "import_model", "model").id
    assert "baseline_model_id" not in blessing.properties
    assert os.listdir(blessing.uri) == ["BLESSED"]
    pushed = _out(first, "Pusher", "pushed_model")
    assert pushed.properties["pushed"] is True
    version = pushed.properties["pushed_version"]
    assert pushed.properties["pushed_destination"] == os.path.join(serving, version)
    assert Path(serving, version, "saved_model.pb").is_file()


def test_better_model_is_compared_with_the_pushed_baseline_and_pushed(runs):
    summaries, _ = runs
    fair_model = _out(summaries["fair"], "import_model", "model")
    second = summaries["good"]
    assert second.results["latest_blessed_model"].outputs["model"][0].id == fair_model.id
    blessing = _out(second, "Evaluator", "blessing")
    assert blessing.properties["blessed"] is True
    assert blessing.properties["reason"] == "all thresholds passed"
    assert blessing.properties["baseline_model_id"] == fair_model.id
    first_version = _out(summaries["fair"], "Pusher", "pushed_model").properties["pushed_version"]
    pushed = _out(second, "Pusher", "pushed_model")
    assert pushed.properties["pushed"] is True
    assert int(pushed.properties["pushed_version"]) > int(first_version)


def test_worse_model_is_not_blessed_and_not_pushed_and_says_why(runs):
    summaries, serving = runs
    good_model = _out(summaries["good"], "import_model", "model")
    third = summaries["bad"]
    assert third.results["latest_blessed_model"].outputs["model"][0].id == good_model.id
    blessing = _out(third, "Evaluator", "blessing")
    assert blessing.properties["blessed"] is False
    assert os.listdir(blessing.uri) == ["NOT_BLESSED"]
    reason = blessing.properties["reason"]
    # The overall slice first, then each species slice that failed.
    assert reason.startswith("failed: sparse_categorical_accuracy on the overall slice: ")
    assert "on slice species=" in reason
    assert "is below the lower bound 0.5" in reason
    assert "against the baseline (change threshold: higher is better, needs >= -1e-10)" in reason
    pushed = _out(third, "Pusher", "pushed_model")
    assert pushed.properties["pushed"] is False
    assert pushed.properties["reason"] == f"the model was not blessed by the Evaluator: {reason}"
    assert "pushed_version" not in pushed.properties
    # Only the two blessed models were ever published.
    assert len(_versions(serving)) == 2


def test_evaluation_loads_with_tfma_and_has_the_feature_slices(runs):
    import tensorflow_model_analysis as tfma

    summaries, _ = runs
    evaluation = _out(summaries["good"], "Evaluator", "evaluation")
    result = tfma.load_eval_result(evaluation.uri)
    slices = {key for key, _ in result.slicing_metrics}
    assert slices == {(), (("species", 0),), (("species", 1),), (("species", 2),)}
    overall = dict(result.slicing_metrics)[()][""][""]
    assert overall["sparse_categorical_accuracy"]["doubleValue"] > 0.9
    assert "sparse_categorical_accuracy_diff" in overall  # compared with the baseline
    assert tfma.load_validation_result(evaluation.uri).validation_ok


def test_no_thresholds_means_not_blessed_and_says_so():
    model = fixtures.model("good")
    config = Evaluator(
        examples=None,
        model=None,
        eval_config={
            "model_specs": [{"signature_name": "serving_default", "label_key": "species"}]
        },
    ).arguments["eval_config"]
    outputs = fixtures.call_component(
        _evaluator_component, examples=fixtures.penguin_examples(), model=model, eval_config=config
    )
    blessing = outputs["blessing"]
    assert blessing.properties["blessed"] is False
    assert blessing.properties["reason"].startswith("no thresholds set")
    assert os.listdir(blessing.uri) == ["NOT_BLESSED"]


def test_eval_config_is_accepted_as_proto_dict_or_json_and_refused_otherwise():
    as_proto = Evaluator(examples=None, model=None, eval_config=eval_config())
    config = as_proto.arguments["eval_config"]
    assert config["model_specs"] == [{"signature_name": "serving_default", "label_key": "species"}]
    as_json = Evaluator(examples=None, model=None, eval_config=json.dumps(config))
    as_dict = Evaluator(examples=None, model=None, eval_config=config)
    assert as_json.arguments["eval_config"] == as_dict.arguments["eval_config"] == config
    assert as_proto.component.spec.name == "Evaluator"
    assert set(as_proto.outputs) == {"evaluation", "blessing"}
    with pytest.raises(DefinitionError, match="eval_config is a string but not JSON"):
        Evaluator(examples=None, model=None, eval_config="model_specs {}")
    with pytest.raises(DefinitionError, match=r"must be a tfma\.EvalConfig proto, a dict"):
        Evaluator(examples=None, model=None, eval_config=42)


def test_verdict_reasons_for_rubber_stamp_and_missing_slices():
    import tensorflow_model_analysis as tfma

    ok = tfma.ValidationResult(validation_ok=True)
    stamped = verdict(ok, thresholds_set=True, change_thresholds_set=True, has_baseline=False)
    assert stamped.blessed
    assert stamped.reason == (
        "no baseline yet (first run): change thresholds skipped, blessed as the first model"
    )
    missing = tfma.ValidationResult(
        validation_ok=False, missing_slices=[tfma.SlicingSpec(feature_values={"island": "Dream"})]
    )
    refused = verdict(missing, thresholds_set=True, change_thresholds_set=False, has_baseline=True)
    assert not refused.blessed
    assert refused.reason == (
        "failed: slice (island=Dream) has no examples, so its thresholds cannot be checked"
    )
