"""The penguin example (README's main job) end to end on the standard components: the real
pipeline file, real TFDV/TFT/Keras/TFMA, run through the local runner on SQLite — cold, again
(cache), with more training steps, and with a model made worse on purpose — and its compiled
Argo workflow executed step by step against MariaDB-backed MLMD."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.runner.local import RunSummary
from tests.examples.example_runs import REPO, UPSTREAM, outcomes, props, run_compiled

EXAMPLE = REPO / "examples" / "penguin"
example = import_file(str(EXAMPLE / "pipeline.py"))

# The serving signature of the sabotaged module predicts class 0 for every penguin.
ALWAYS_ADELIE = 'return {"outputs": tf.one_hot(tf.zeros_like(parsed_features["body_mass_g"][:, 0], tf.int32), 3)}'  # noqa: E501


@dataclass(frozen=True)
class Runs:
    cold: RunSummary
    again: RunSummary
    third: RunSummary
    longer: RunSummary
    worse: RunSummary
    versions_before_worse: list[str]
    versions_after_worse: list[str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    root = tmp_path_factory.mktemp("penguin")
    serving = root / "serving"
    url = f"sqlite://{root}/metadata.sqlite"
    runner = LocalRunner(store=open_store(url), metadata_url=url)

    def run(**kwargs) -> RunSummary:
        pipeline = example.create_pipeline(str(root), serving_dir=str(serving), **kwargs)
        summary = runner.run(build(pipeline), root=str(root))
        assert summary.ok, summary.failed
        return summary

    cold, again, third = run(), run(), run()
    longer = run(train_steps=300)
    source = (EXAMPLE / "penguin_utils.py").read_text()
    sabotaged = source.replace(
        'return {"outputs": tf.nn.softmax(model(transformed_features))}', ALWAYS_ADELIE
    )
    assert sabotaged != source
    module = root / "penguin_worse.py"
    module.write_text(sabotaged)
    before = _versions(serving)
    worse = run(train_steps=300, module_file=str(module))
    return Runs(cold, again, third, longer, worse, before, _versions(serving))


def _versions(serving: Path) -> list[str]:
    """The TF Serving versions under `serving` (numeric directory names)."""
    return sorted(name for name in os.listdir(serving) if name.isdigit())


def test_cold_run_trains_evaluates_and_pushes_the_first_model(runs):
    assert all(outcomes(runs.cold)[n] == "executed" for n in [*UPSTREAM, "Evaluator", "Pusher"])
    blessing = props(runs.cold, "Evaluator", "blessing")
    assert blessing["blessed"] is True
    assert blessing["reason"].startswith("no baseline yet (first run)")
    pushed = props(runs.cold, "Pusher", "pushed_model")
    assert pushed["pushed"] is True
    assert (Path(pushed["pushed_destination"]) / "saved_model.pb").is_file()
    rows = json.loads(props(runs.cold, "CsvExampleGen", "examples")["rows_per_split"])
    assert sum(rows.values()) == 334


def test_unchanged_runs_are_served_from_cache(runs):
    # Run 2 reuses everything up to the Trainer; the Evaluator runs once more because its baseline
    # now exists (the model it blessed), as in TFX, and the same model is not pushed again.
    again = outcomes(runs.again)
    assert all(again[n] == "cached" for n in UPSTREAM), again
    assert props(runs.again, "Pusher", "pushed_model")["reason"].startswith("already pushed")
    # From then on, nothing runs.
    third = outcomes(runs.third)
    assert all(third[n] == "cached" for n in [*UPSTREAM, "Evaluator", "Pusher"]), third


def test_more_training_steps_train_again_and_are_judged_against_the_pushed_model(runs):
    longer = outcomes(runs.longer)
    assert longer["Trainer"] == "executed" and longer["Transform"] == "cached"
    [baseline] = runs.longer.results["latest_blessed_model_resolver"].outputs["model"]
    [first] = runs.cold.results["Trainer"].outputs["model"]
    assert baseline.id == first.id
    blessing = props(runs.longer, "Evaluator", "blessing")
    pushed = props(runs.longer, "Pusher", "pushed_model")
    assert pushed["pushed"] is blessing["blessed"]
    assert blessing["reason"]
    if not blessing["blessed"]:
        assert "baseline" in blessing["reason"] and blessing["reason"] in pushed["reason"]


def test_a_model_made_worse_is_not_pushed_and_the_reason_says_why(runs):
    blessing = props(runs.worse, "Evaluator", "blessing")
    assert blessing["blessed"] is False
    reason = blessing["reason"]
    assert "sparse_categorical_accuracy" in reason and "below the lower bound 0.6" in reason
    assert "slice species=" in reason
    pushed = props(runs.worse, "Pusher", "pushed_model")
    assert pushed["pushed"] is False and "not blessed" in pushed["reason"]
    assert runs.versions_before_worse  # the earlier runs did push
    assert runs.versions_after_worse == runs.versions_before_worse


@pytest.mark.mysql
def test_the_compiled_penguin_workflow_runs_step_by_step(tmp_path, mysql_url):
    root = tmp_path / "pipelines"  # stands in for the PVC, mounted at the same path
    root.mkdir()
    pipeline = example.create_pipeline(str(root))  # pushes to {pipeline_root}/serving/penguin
    executions = run_compiled(pipeline, root, mysql_url, "penguin-e2e-x1")
    assert {e["state"] for n, e in executions.items() if n in UPSTREAM} == {"COMPLETE"}
    [pushed] = executions["Pusher"]["outputs"]["pushed_model"]
    assert pushed["properties"]["pushed"] is True
    destination = Path(pushed["properties"]["pushed_destination"])
    assert destination.parent == root / "serving" / "penguin"
    assert (destination / "saved_model.pb").is_file()
