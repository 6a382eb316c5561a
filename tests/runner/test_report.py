"""`headrace runs report`: a real run with a failure, then resumed, read back from ML Metadata
into one HTML page — its structure asserted from the HTML and in headless Chromium."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from headrace.cli import main
from headrace.errors import ReportError
from headrace.ir import build
from headrace.launcher import exit_codes, launch
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.runner.local import RunSummary
from headrace.runner.report import report_html, write_report
from tests.support import report_pipeline
from tests.support.chromium import assert_real_picture
from tests.support.html_tree import Element, parse

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Runs:
    root: Path
    url: str
    first: RunSummary  # everything executed
    failed: RunSummary  # count_b executed, produce/count_a cache hits, train failed, deploy not run
    failed_report: Path  # the report of `failed` before it was resumed (written by the CLI)
    resumed: RunSummary  # the same run resumed: train and deploy ran


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    root = tmp_path_factory.mktemp("report")
    url = f"sqlite://{root}/metadata.sqlite"
    runner = LocalRunner(store=open_store(url), metadata_url=url)
    first = runner.run(build(report_pipeline.make_pipeline()), root=str(root))
    assert first.ok
    flag = root / "fail-train"
    flag.touch()
    changed = build(report_pipeline.make_pipeline(delay_b=0.01, learning_rate=0.5))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HEADRACE_DEMO_FAIL", str(flag))
        failed = runner.run(changed, root=str(root))
    assert set(failed.failed) == {"train"} and failed.not_run == ("deploy",)
    failed_report = root / "reports" / "failed.html"
    failed_report.parent.mkdir()
    written = CliRunner().invoke(
        main, ["runs", "report", failed.run_id, "--root", str(root), "-o", str(failed_report)]
    )
    assert written.exit_code == 0, written.output
    assert f"Wrote {failed_report}: run {failed.run_id} of report-demo, 5 nodes, failed." in (
        " ".join(written.output.split())
    )
    flag.unlink()
    resumed = runner.run(changed, root=str(root), run_id=failed.run_id)
    assert resumed.ok
    return Runs(root, url, first, failed, failed_report, resumed)


def _nodes(page: Element) -> dict[str, Element]:
    return {g.attrs["data-node"]: g for g in page.find_all("g", cls="node")}


def test_the_report_draws_every_node_with_its_state_even_those_that_never_ran(runs):
    page = parse(runs.failed_report.read_text())
    nodes = _nodes(page)
    assert {n: g.attrs["data-state"] for n, g in nodes.items()} == {
        "produce": "cached",
        "count_a": "cached",
        "count_b": "complete",
        "train": "failed",
        "deploy": "not-run",
    }
    assert {n for n, g in nodes.items() if g.attrs["data-cache-hit"] == "true"} == {
        "produce",
        "count_a",
    }
    assert "state-failed" in nodes["train"].classes and "state-not-run" in nodes["deploy"].classes
    assert "cache hit" in nodes["produce"].text and "failed" in nodes["train"].text
    assert "data-seconds" not in nodes["deploy"].attrs and "not run" in nodes["deploy"].text
    assert float(nodes["count_b"].attrs["data-seconds"]) >= 0.01  # it slept 0.01 s
    assert page.by_id("run").attrs["data-status"] == "failed"
    # The edges are the pipeline's, the one into the node that never ran included.
    edges = {(p.attrs["data-from"], p.attrs["data-to"]) for p in page.find_all("path", cls="edge")}
    assert edges == {
        ("produce", "count_a"),
        ("produce", "count_b"),
        ("produce", "train"),
        ("count_a", "train"),
        ("count_b", "train"),
        ("train", "deploy"),
    }
    # Drawn in layers by depth: produce above the counts, above train, above deploy.
    svg = ET.fromstring(re.search(r"<svg .*?</svg>", runs.failed_report.read_text(), re.S).group(0))
    y = {
        g.get("data-node"): float(re.search(r",([\d.]+)\)", g.get("transform")).group(1))
        for g in svg.iter(f"{SVG}g")
    }
    assert y["produce"] < y["count_a"] == y["count_b"] < y["train"] < y["deploy"]


def test_the_node_table_says_what_happened_and_why(runs):
    page = parse(runs.failed_report.read_text())
    rows = {
        r.attrs["data-node"]: r
        for r in page.by_id("node-table").find_all("tr", cls=None)
        if "data-node" in r.attrs
    }
    assert list(rows) == ["produce", "count_a", "count_b", "train", "deploy"]

    def cell(node: str, name: str) -> str:
        return rows[node].find_all("td", cls=name)[0].text.strip()

    first = {n: r.execution_id for n, r in runs.first.results.items()}
    assert cell("produce", "outcome") == f"cache hit: outputs of execution {first['produce']}"
    assert "same cache key" in cell("produce", "reason")
    assert f"as execution {first['produce']} of run {runs.first.run_id}" in cell(
        "produce", "reason"
    )
    assert cell("count_b", "outcome") == "executed"
    assert "no earlier execution with cache key" in cell("count_b", "reason")
    [error_line] = rows["train"].find_all("span", cls="error-line")
    assert re.fullmatch(
        r"Node 'train' \(train\) raised RuntimeError: failing on purpose .*", error_line.text
    )
    assert "Traceback" in rows["train"].find_all("pre", cls="error")[0].text
    assert cell("deploy", "outcome") == "not run: upstream train did not complete"
    assert cell("deploy", "execution") == "—"


def test_a_resumed_run_shows_the_retried_node_and_links_the_artifacts(runs, tmp_path):
    out = tmp_path / "reports" / "run.html"
    out.parent.mkdir()
    view = write_report(open_store(runs.url), runs.resumed.run_id, str(out))
    assert view.status == "succeeded"
    page = parse(out.read_text())
    nodes = _nodes(page)
    assert {n: g.attrs["data-state"] for n, g in nodes.items()} == {
        "produce": "cached",
        "count_a": "cached",
        "count_b": "complete",
        "train": "complete",
        "deploy": "complete",
    }
    train_row = page.by_id("row-train")
    assert "attempt 2" in nodes["train"].text
    assert re.search(r"earlier: \d+ failed", train_row.text)
    # One row per output artifact, linked relative to the report's directory, with properties.
    artifacts = page.by_id("artifact-table").find_all("tr", cls="artifact")
    assert {(a.attrs["data-node"], a.attrs["data-port"]) for a in artifacts} == {
        ("produce", "examples"),
        ("count_a", "statistics"),
        ("count_b", "statistics"),
        ("train", "model"),
        ("deploy", "pushed_model"),
    }
    [model] = runs.resumed.results["train"].outputs["model"]
    row = page.by_id(f"artifact-{model.id}")
    [link] = row.find_all("a", cls="uri")
    assert not link.attrs["href"].startswith(("/", "file:"))
    assert (out.parent / link.attrs["href"]).resolve() == Path(model.uri).resolve()
    assert (Path(model.uri) / "model.json").is_file()
    assert "deploy" in row.text  # used by
    produced = page.by_id(f"artifact-{runs.resumed.results['produce'].outputs['examples'][0].id}")
    assert "split_names" in produced.text and "rows" in produced.text


def test_a_run_recorded_without_its_graph_is_drawn_from_lineage(runs, tmp_path):
    """Runs of older Headrace versions or other tools: the DAG comes from MLMD's events."""
    store = open_store(runs.url)
    ir = build(report_pipeline.make_pipeline())
    for node in ir.nodes:  # as another tool would: launch() node by node, no runner
        launch(ir, node.id, run_id="by-hand", store=store, root=str(runs.root))
    page = parse(report_html(store, "by-hand"))
    assert "rebuilt from ML Metadata" in page.by_id("graph-source").text
    edges = {(p.attrs["data-from"], p.attrs["data-to"]) for p in page.find_all("path", cls="edge")}
    assert edges == {(u, n.id) for n in ir.nodes for u in n.upstream}
    assert {g.attrs["data-state"] for g in _nodes(page).values()} == {"cached"}


def test_bad_input_says_what_to_do(runs, tmp_path):
    unknown = CliRunner().invoke(
        main, ["runs", "report", "no-such-run", "--metadata", runs.url, "-o", str(tmp_path / "r")]
    )
    assert unknown.exit_code == 2
    message = " ".join(unknown.output.split())
    assert "No run 'no-such-run'" in message and runs.resumed.run_id in message
    assert runs.first.run_id in message
    with pytest.raises(ReportError, match=r"No run 'x' in .*recent runs: "):
        report_html(open_store(runs.url), "x")

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    bad = blocked / "report.html"  # under a file, not a directory
    result = CliRunner().invoke(
        main, ["runs", "report", runs.first.run_id, "--metadata", runs.url, "-o", str(bad)]
    )
    assert result.exit_code == 2, result.output
    assert f"Cannot write the report to {bad}: Not a directory; pass -o a file in a directory" in (
        " ".join(result.output.split())
    )
    with pytest.raises(ReportError, match=f"Cannot write the report to {tmp_path}: Is a directory"):
        write_report(open_store(runs.url), runs.first.run_id, str(tmp_path))
    assert not list(tmp_path.glob(".report-*"))  # no temporary file left behind


def test_each_node_that_ran_has_its_summary_embedded(runs):
    page = parse(runs.failed_report.read_text())
    visuals = {d.attrs["data-node"]: d for d in page.by_id("visuals").find_all("details")}
    # A failed node publishes no summary; a node that never ran has none.
    assert set(visuals) == {"produce", "count_a", "count_b"}
    store = open_store(runs.url)
    for node, details in visuals.items():
        [frame] = details.find_all("iframe", cls="summary-frame")
        document = frame.attrs["srcdoc"]  # the summary page itself, inside this one file
        summary = Path(store.node_result("report-demo", runs.failed.run_id, node).summary_uri)
        assert summary.read_text() == document.replace(_base_tag(document), "")
        # The summary's relative links resolve from its own directory, not the report's.
        base = re.search(r'<base href="([^"]+)"', document).group(1)
        assert (runs.failed_report.parent / base).resolve() == summary.parent.resolve()


def _base_tag(document: str) -> str:
    return re.search(r"<base [^>]*>", document).group(0)


def test_chromium_renders_the_page_its_scripts_and_its_frames(runs, tmp_path, chromium):
    dom = parse(chromium.dump_dom(runs.failed_report))
    states = {g.attrs["data-node"]: g.attrs["data-state"] for g in dom.find_all("g", cls="node")}
    assert states == {
        "produce": "cached",
        "count_a": "cached",
        "count_b": "complete",
        "train": "failed",
        "deploy": "not-run",
    }
    assert dom.by_id("dag-svg").tag == "svg" and dom.by_id("node-table").tag == "table"
    assert len(dom.by_id("artifact-table").find_all("tr", cls="artifact")) == 3
    # The page's script fitted each summary frame to its loaded content.
    frames = dom.find_all("iframe", cls="summary-frame")
    assert len(frames) == 3 and all(f.attrs.get("data-fitted") == "1" for f in frames)
    assert all(int(re.search(r"height: (\d+)px", f.attrs["style"]).group(1)) > 100 for f in frames)
    png = chromium.screenshot(runs.failed_report, tmp_path / "report.png")
    assert_real_picture(png)


def test_compiled_steps_record_the_graph_so_nodes_that_never_ran_are_drawn(runs, tmp_path):
    """A compiled workflow's run step records the run's graph once (from the compressed graph
    annotation); the node steps, which carry only their own node, do not: a step that failed
    leaves its downstream nodes drawn as not run."""
    from headrace.entrypoint.main import main as step
    from headrace.ir import definition_json, encode_graph, instance_json

    ir = build(report_pipeline.make_pipeline(learning_rate=0.7))
    flag = tmp_path / "fail-train"
    flag.touch()
    common = ["--run-id=wf-1", f"--metadata={runs.url}"]

    def node_step(node_id):
        node = ir.node(node_id)
        return step([f"--definition={definition_json(ir, node)}",
                     f"--instance={instance_json(node)}", f"--root={runs.root}", *common])

    with pytest.MonkeyPatch.context() as env:
        env.setenv("HEADRACE_DEMO_FAIL", str(flag))
        env.setenv("HEADRACE_GRAPH", encode_graph(ir))
        codes = {n: node_step(n) for n in ("produce", "count_a", "count_b")}
        codes["train"] = node_step("train")
        assert open_store(runs.url).get_run("wf-1").graph == ()  # nodes do not record it
        codes["run"] = step(["--phase=run", "--graph-env=HEADRACE_GRAPH",
                             f"--pipeline={ir.name}", *common])
    assert codes.pop("run") == 0
    assert codes == {"produce": 0, "count_a": 0, "count_b": 0, "train": exit_codes.USER_ERROR}
    page = parse(report_html(open_store(runs.url), "wf-1"))
    assert not page.find_all(id="graph-source")  # recorded, not rebuilt from lineage
    states = {g.attrs["data-node"]: g.attrs["data-state"] for g in page.find_all("g", cls="node")}
    assert states["train"] == "failed" and states["deploy"] == "not-run"
