"""The HTML summary launch() writes beside a node's outputs and records in MLMD as `summary_uri`:
written for executed nodes, shared by cache hits, removed with a failed node's outputs, and never
a reason for a node to fail."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.errors import UserCodeError
from headrace.ir import build
from headrace.launcher import CACHED, EXECUTED, launch
from headrace.metadata import open_store
from headrace.types import Examples, Model


@component
def produce(examples: Output[Examples], rows: Parameter[int] = 3) -> None:
    with open(os.path.join(examples.uri, "data.txt"), "w") as f:
        f.write("x\n" * rows)
    examples.properties["note"] = "<b>not bold</b>"


@component
def fit(examples: Input[Examples], model: Output[Model], explode: Parameter[bool] = False) -> None:
    if explode:
        raise RuntimeError("no model today")
    with open(os.path.join(model.uri, "weights.bin"), "wb") as f:
        f.write(b"\0" * 2048)


def _ir(explode: bool = False):
    p = produce()
    return build(
        Pipeline(name="p", components=[p, fit(examples=p.outputs["examples"], explode=explode)])
    )


@pytest.fixture
def store(sqlite_url):
    return open_store(sqlite_url)


def test_an_executed_node_writes_its_summary_and_mlmd_points_at_it(store, tmp_path):
    root = str(tmp_path / "root")
    ir = _ir()
    made = launch(ir, "produce", run_id="r1", store=store, root=root)
    fitted = launch(ir, "fit", run_id="r1", store=store, root=root)

    summary = Path(root, "p", "fit", "summary", f"{fitted.execution_id}.html")
    assert fitted.summary_uri == str(summary) and summary.is_file()
    [record] = store.run_executions("p", "r1", "fit")
    assert record.summary_uri == str(summary)
    html = summary.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<h1>fit</h1>" in html
    assert "weights.bin" in html and "2.0 KiB" in html  # the Model's files with sizes
    assert EXECUTED in html
    # The input links to its producer's summary, relatively (the root can move as a whole).
    [href] = re.findall(r'<a href="([^"]+)"><code>[^<]*/produce/examples/', html)
    assert not os.path.isabs(href)
    assert (summary.parent / href).resolve() == Path(made.summary_uri).resolve()
    # Data is escaped: the property shows as text, not as markup.
    produced = Path(made.summary_uri).read_text()
    assert "&lt;b&gt;not bold&lt;/b&gt;" in produced and "<b>not bold</b>" not in produced


def test_a_cache_hit_records_the_summary_of_the_execution_it_reused(store, tmp_path):
    root = str(tmp_path / "root")
    ir = _ir()
    first = launch(ir, "produce", run_id="r1", store=store, root=root)
    again = launch(ir, "produce", run_id="r2", store=store, root=root)
    assert again.outcome == CACHED
    assert again.summary_uri == first.summary_uri
    [record] = store.run_executions("p", "r2", "produce")
    assert record.summary_uri == first.summary_uri
    assert os.listdir(Path(root, "p", "produce", "summary")) == [f"{first.execution_id}.html"]


def test_a_summary_that_cannot_be_written_costs_a_warning_not_the_node(store, tmp_path, caplog):
    root = tmp_path / "root"
    Path(root, "p", "produce").mkdir(parents=True)
    Path(root, "p", "produce", "summary").write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING, logger="headrace.launcher.summary"):
        result = launch(_ir(), "produce", run_id="r1", store=store, root=str(root))
    assert result.outcome == EXECUTED and result.summary_uri == ""
    [record] = store.run_executions("p", "r1", "produce")
    assert record.state == "COMPLETE" and record.summary_uri == ""
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "produce: no HTML summary written" in warning.getMessage()


def test_a_failed_node_leaves_no_summary(store, tmp_path):
    root = str(tmp_path / "root")
    ir = _ir(explode=True)
    launch(ir, "produce", run_id="r1", store=store, root=root)
    with pytest.raises(UserCodeError, match="no model today"):
        launch(ir, "fit", run_id="r1", store=store, root=root)
    [failed] = store.run_executions("p", "r1", "fit")
    assert failed.summary_uri == ""
    assert not Path(root, "p", "fit", "summary", f"{failed.id}.html").exists()
