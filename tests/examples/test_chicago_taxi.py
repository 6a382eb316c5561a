"""The Chicago taxi example end to end on TFX's 15,000-trip sample: the real pipeline file run
by the local runner (cold, then from cache), and its compiled Argo workflow executed step by
step against MariaDB-backed MLMD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.runner.local import RunSummary
from tests.examples.example_runs import REPO, UPSTREAM, outcomes, props, run_compiled

example = import_file(str(REPO / "examples" / "chicago_taxi" / "pipeline.py"))
TRAIN_STEPS = 200  # enough to beat the 0.6 accuracy threshold; the example trains 1,000


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[RunSummary, RunSummary]:
    root = tmp_path_factory.mktemp("taxi")
    url = f"sqlite://{root}/metadata.sqlite"
    runner = LocalRunner(store=open_store(url), metadata_url=url)
    summaries = []
    for _ in range(2):
        pipeline = example.create_pipeline(str(root), train_steps=TRAIN_STEPS)
        summary = runner.run(build(pipeline), root=str(root))
        assert summary.ok, summary.failed
        summaries.append(summary)
    return summaries[0], summaries[1]


def test_cold_run_ingests_every_trip_trains_and_pushes(runs):
    cold, _ = runs
    assert all(outcomes(cold)[n] == "executed" for n in [*UPSTREAM, "Evaluator", "Pusher"])
    rows = json.loads(props(cold, "CsvExampleGen", "examples")["rows_per_split"])
    assert sum(rows.values()) == 15002
    # One pickup_census_tract value in 15,000 rows: the schema still says INT, so the split
    # that holds it transforms.
    [schema] = cold.results["SchemaGen"].outputs["schema"]
    text = Path(schema.uri, "schema.pbtxt").read_text()
    assert 'name: "pickup_census_tract"\n  type: INT' in text
    blessing = props(cold, "Evaluator", "blessing")
    assert blessing["blessed"] is True, blessing["reason"]
    pushed = props(cold, "Pusher", "pushed_model")
    assert pushed["pushed"] is True
    assert Path(pushed["pushed_destination"]).parent.name == "chicago_taxi"


def test_second_run_is_served_from_cache(runs):
    cold, again = runs
    assert all(outcomes(again)[n] == "cached" for n in UPSTREAM), outcomes(again)
    [first] = cold.results["Trainer"].outputs["model"]
    [baseline] = again.results["latest_blessed_model_resolver"].outputs["model"]
    assert baseline.id == first.id
    assert props(again, "Pusher", "pushed_model")["reason"].startswith("not pushed: already pushed")


@pytest.mark.mysql
def test_the_compiled_taxi_workflow_runs_step_by_step(tmp_path, mysql_url):
    root = tmp_path / "pipelines"
    root.mkdir()
    pipeline = example.create_pipeline(str(root), train_steps=TRAIN_STEPS)
    executions = run_compiled(pipeline, root, mysql_url, "chicago-taxi-e2e-x1")
    assert {e["state"] for n, e in executions.items() if n in UPSTREAM} == {"COMPLETE"}
    [pushed] = executions["Pusher"]["outputs"]["pushed_model"]
    assert pushed["properties"]["pushed"] is True
    destination = Path(pushed["properties"]["pushed_destination"])
    assert destination.parent == root / "serving" / "chicago_taxi"
