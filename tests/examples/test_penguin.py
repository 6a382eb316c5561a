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
    pushed = props(runs.again, "Pusher", "pushed_model")
    assert pushed["reason"].startswith("not pushed: already pushed")
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


def test_the_run_report_shows_the_penguin_run_with_its_visualizations(runs, tmp_path, chromium):
    """`headrace runs report` of the run that trained longer: upstream cache hits, the Resolver's
    baseline, a new Trainer and Evaluator, and every node's summary page embedded."""
    from html import escape

    from headrace.runner.report import write_report
    from tests.support.chromium import assert_real_picture
    from tests.support.html_tree import parse

    out = tmp_path / "penguin-report.html"
    view = write_report(open_store(runs.longer.metadata), runs.longer.run_id, str(out))
    assert view.status == "succeeded"
    page = parse(out.read_text())
    states = {g.attrs["data-node"]: g.attrs["data-state"] for g in page.find_all("g", cls="node")}
    assert states == {
        **{n: "cached" for n in UPSTREAM[:-1]},
        "Trainer": "complete",
        "latest_blessed_model_resolver": "resolved",
        "Evaluator": "complete",
        "Pusher": "complete",
    }
    edges = {(p.attrs["data-from"], p.attrs["data-to"]) for p in page.find_all("path", cls="edge")}
    assert ("latest_blessed_model_resolver", "Evaluator") in edges
    assert ("Trainer", "Evaluator") in edges and ("Evaluator", "Pusher") in edges
    # Every node's summary is inside the page: statistics drawn as SVG, the blessing's reason.
    visuals = {d.attrs["data-node"]: d for d in page.by_id("visuals").find_all("details")}
    assert set(visuals) == set(states)
    srcdoc = {n: d.find_all("iframe")[0].attrs["srcdoc"] for n, d in visuals.items()}
    assert "<svg" in srcdoc["StatisticsGen"]
    reason = props(runs.longer, "Evaluator", "blessing")["reason"]
    assert escape(reason) in srcdoc["Evaluator"] or reason in srcdoc["Evaluator"]
    # In a browser: the page's script fitted every frame to its loaded summary.
    dom = parse(chromium.dump_dom(out))
    frames = dom.find_all("iframe", cls="summary-frame")
    assert len(frames) == len(states) and all(f.attrs.get("data-fitted") == "1" for f in frames)
    assert_real_picture(chromium.screenshot(out, tmp_path / "penguin-report.png"))


def _table(html: str, *columns: str) -> list[dict[str, str]]:
    """The rows, as dicts, of the first table in `html` whose header has all of `columns`."""
    from tests.visuals.html_text import table_rows

    rows = table_rows(html)
    start = next(i for i, r in enumerate(rows) if set(columns) <= set(r))
    header, found = rows[start], []
    for r in rows[start + 1 :]:
        if len(r) != len(header) or r == header:
            break
        found.append(dict(zip(header, r, strict=True)))
    return found


def test_every_node_writes_its_summary_and_mlmd_points_at_it(runs):
    store = open_store(runs.cold.metadata)
    pipeline = runs.cold.pipeline
    cold = {e.node_id: e for e in store.run_executions(pipeline, runs.cold.run_id)}
    assert set(cold) == set(runs.cold.results)
    for node_id, result in runs.cold.results.items():
        path = Path(runs.cold.root, pipeline, node_id, "summary", f"{result.execution_id}.html")
        assert result.summary_uri == str(path) and path.is_file(), node_id
        assert cold[node_id].summary_uri == str(path), node_id
        assert f"<h1>{node_id}</h1>" in path.read_text()
    # A cache hit shows the page of the execution it reused.
    again = {e.node_id: e for e in store.run_executions(pipeline, runs.again.run_id)}
    for node_id in UPSTREAM:
        assert again[node_id].state == "CACHED"
        assert again[node_id].summary_uri == cold[node_id].summary_uri
    statistics = Path(cold["StatisticsGen"].summary_uri).read_text()
    assert "culmen_length_mm" in statistics and '<svg class="hist"' in statistics


def test_the_evaluator_summary_shows_metrics_per_slice_and_the_verdict(runs):
    html = Path(runs.cold.results["Evaluator"].summary_uri).read_text()
    assert "Validation passed" in html and ">Blessed<" in html
    metrics = {r["slice"]: r for r in _table(html, "slice", "sparse_categorical_accuracy")}
    assert set(metrics) == {"Overall", "species=0", "species=1", "species=2"}
    assert float(metrics["Overall"]["sparse_categorical_accuracy"]) >= 0.6  # it was blessed
    assert "<h4>sparse_categorical_accuracy</h4>" in html  # and its bar chart

    # The model that always says Adelie: right on Adelie only, and not blessed for it. With a
    # baseline, the columns are per model (TFMA's names) and the differences.
    worse = Path(runs.worse.results["Evaluator"].summary_uri).read_text()
    candidate = "candidate/sparse_categorical_accuracy"
    baseline = "baseline/sparse_categorical_accuracy"
    table = {r["slice"]: r for r in _table(worse, "slice", candidate, baseline)}
    accuracy = {name: float(r[candidate]) for name, r in table.items()}
    assert accuracy["species=0"] == 1 and accuracy["species=1"] == accuracy["species=2"] == 0
    assert 0 < accuracy["Overall"] < 0.6
    assert float(table["species=1"][baseline]) >= 0.6  # the pushed model it is compared with
    assert "Validation failed" in worse and "Not blessed" in worse
    failed = {(f["slice"], f["metric"], f["threshold"]) for f in _table(worse, "threshold")}
    assert ("species=1", "sparse_categorical_accuracy", "≥ 0.6") in failed
    assert ("Overall", "sparse_categorical_accuracy", "≥ 0.6") in failed
    assert ("species=0", "sparse_categorical_accuracy", "≥ 0.6") not in failed
    pusher = Path(runs.worse.results["Pusher"].summary_uri).read_text()
    assert "not blessed" in pusher


def test_an_evaluation_without_its_metrics_is_shown_with_a_note(runs, tmp_path):
    import shutil

    from headrace.types import ModelEvaluation
    from headrace.visuals import artifact_html

    [evaluation] = runs.cold.results["Evaluator"].outputs["evaluation"]
    copy = tmp_path / "evaluation"
    shutil.copytree(evaluation.uri, copy)
    for name in os.listdir(copy):
        if name.startswith(("metrics", "validations")):
            os.remove(copy / name)
    html = artifact_html(ModelEvaluation(str(copy)))
    assert "Cannot read the validation result" in html
    assert f"No metrics file (metrics-*) in {copy}" in html
    assert "candidate" in html  # what is still there is shown: the evaluated model
