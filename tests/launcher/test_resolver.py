"""Resolver nodes: latest artifact, latest blessed model (this pipeline only), span ranges."""

from __future__ import annotations

import pytest

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.dsl import (
    Channel,
    LatestArtifactStrategy,
    LatestBlessedModelStrategy,
    Resolver,
    SpanRangeStrategy,
)
from headrace.errors import DefinitionError
from headrace.ir import build
from headrace.launcher import RESOLVED
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.types import Examples, Model, ModelBlessing


@component
def trainer(model: Output[Model], quality: Parameter[float] = 0.5) -> None:
    model.properties["quality"] = quality


@component
def evaluator(
    model: Input[Model], blessing: Output[ModelBlessing], baseline: Input[Model] | None = None
) -> None:
    better = baseline is None or model.properties["quality"] > baseline.properties["quality"]
    blessing.properties.update(
        {
            "blessed": better,
            "current_model_id": model.id,
            "baseline_model_id": baseline.id if baseline else -1,
        }
    )


def _pipeline(name: str, quality: float) -> Pipeline:
    t = trainer(quality=quality)
    r = Resolver(
        strategy_class=LatestBlessedModelStrategy,
        model=Channel(type=Model),
        model_blessing=Channel(type=ModelBlessing),
    ).with_id("latest_blessed_model")
    e = evaluator(model=t.outputs["model"], baseline=r.outputs["model"])
    return Pipeline(name=name, components=[t, r, e])


def _run(url, root, pipeline):
    summary = LocalRunner(store=open_store(url), metadata_url=url).run(build(pipeline), root=root)
    assert summary.ok, summary.failed
    return summary


def test_latest_blessed_model_is_the_baseline_and_stays_in_its_pipeline(sqlite_url, tmp_path):
    root = str(tmp_path)
    first = _run(sqlite_url, root, _pipeline("prod", 0.5))
    assert first.results["latest_blessed_model"].outcome == RESOLVED
    assert first.results["latest_blessed_model"].outputs["model"] == []  # no baseline yet
    blessing = first.results["evaluator"].outputs["blessing"][0]
    assert blessing.properties["blessed"] is True and blessing.properties["baseline_model_id"] == -1
    model_1 = first.results["trainer"].outputs["model"][0]

    worse = _run(sqlite_url, root, _pipeline("prod", 0.3))
    assert worse.results["latest_blessed_model"].outputs["model"][0].id == model_1.id
    assert worse.results["evaluator"].outputs["blessing"][0].properties["blessed"] is False

    better = _run(sqlite_url, root, _pipeline("prod", 0.9))
    # The worse model was not blessed: the baseline is still the first one.
    assert better.results["latest_blessed_model"].outputs["model"][0].id == model_1.id
    assert better.results["evaluator"].outputs["blessing"][0].properties["blessed"] is True

    # Another pipeline in the same store has no baseline: nothing leaks between pipelines.
    other = _run(sqlite_url, root, _pipeline("staging", 0.1))
    assert other.results["latest_blessed_model"].outputs["model"] == []

    again = _run(sqlite_url, root, _pipeline("prod", 0.95))
    newest = better.results["trainer"].outputs["model"][0]
    assert again.results["latest_blessed_model"].outputs["model"][0].id == newest.id


@component
def spans(examples: Output[Examples], span: Parameter[int] = 0, version: Parameter[int] = 0):
    examples.properties.update({"span": span, "version": version})


@component
def consume(examples: Input[Examples], out: Output[Model]) -> None:
    out.properties["span"] = examples.properties["span"]


def test_span_range_and_latest_artifact(sqlite_url, tmp_path):
    root = str(tmp_path)
    for span, version in [(1, 0), (2, 0), (2, 1), (3, 0), (5, 0)]:
        _run(
            sqlite_url,
            root,
            Pipeline(name="ingest", components=[spans(span=span, version=version)]),
        )
    ranged = Resolver(
        strategy_class=SpanRangeStrategy,
        config={"start_span": 2, "end_span": 4},
        examples=Channel(type=Examples),
    ).with_id("ranged")
    latest = Resolver(
        strategy_class=LatestArtifactStrategy, examples=Channel(type=Examples)
    ).with_id("latest")
    use = consume(examples=latest.outputs["examples"])
    summary = _run(sqlite_url, root, Pipeline(name="ingest", components=[ranged, latest, use]))
    found = summary.results["ranged"].outputs["examples"]
    assert [(a.properties["span"], a.properties["version"]) for a in found] == [(2, 1), (3, 0)]
    assert summary.results["consume"].outputs["out"][0].properties["span"] == 5


def test_required_input_from_an_empty_resolver_fails_clearly(sqlite_url, tmp_path):
    latest = Resolver(
        strategy_class=LatestArtifactStrategy, examples=Channel(type=Examples)
    ).with_id("latest")
    use = consume(examples=latest.outputs["examples"])
    url = sqlite_url
    summary = LocalRunner(store=open_store(url), metadata_url=url).run(
        build(Pipeline(name="empty", components=[latest, use])), root=str(tmp_path)
    )
    assert "resolved no Examples" in str(summary.failed["consume"])


def test_resolver_definition_errors():
    with pytest.raises(DefinitionError, match=r"strategy .* is unknown"):
        Resolver(strategy_class=int, model=Channel(type=Model))
    with pytest.raises(DefinitionError, match="must be a query like Channel"):
        Resolver(strategy_class=LatestArtifactStrategy, model=trainer().outputs["model"])
    with pytest.raises(DefinitionError, match="exactly a Model and a ModelBlessing"):
        Resolver(strategy_class=LatestBlessedModelStrategy, model=Channel(type=Model))
    with pytest.raises(DefinitionError, match="start_span"):
        Resolver(strategy_class=SpanRangeStrategy, examples=Channel(type=Examples))
    with pytest.raises(DefinitionError, match="only a Resolver takes those"):
        build(Pipeline(name="p", components=[consume(examples=Channel(type=Examples))]))
