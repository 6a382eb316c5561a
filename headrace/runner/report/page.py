"""The run report's HTML: header, DAG, node table, artifacts and the nodes' embedded summaries,
in one self-contained file (inline CSS and SVG; the summaries inline as iframe `srcdoc`)."""

from __future__ import annotations

import os
import re
import time
import urllib.parse
from html import escape

from headrace.metadata import ExecutionRecord
from headrace.runner.report.dag import STATE_LABEL, dag_svg, duration
from headrace.runner.report.model import LINEAGE, STATES, NodeView, RunView
from headrace.types.artifact import Artifact
from headrace.visuals import page
from headrace.visuals.files import is_local, local_path

STYLE = """
.state-complete{--fill:#d7f0de;--line:#2e7d32}.state-cached{--fill:#dbe7fb;--line:#3566b0}
.state-resolved{--fill:#ece3f7;--line:#7048a8}.state-failed{--fill:#fbd8d4;--line:#c62828}
.state-running,.state-canceled{--fill:#fff0c2;--line:#a87a00}
.state-not-run{--fill:#f1f3f5;--line:#98a1ab}
g.node rect{fill:var(--fill);stroke:var(--line);stroke-width:1.6}
g.state-not-run rect{stroke-dasharray:5 4}g.state-failed rect{stroke-width:2.6}
g.node text.name{font-size:13px;font-weight:600}g.node text.component{fill:#56606b}
g.node text.detail{font-size:12px}a:hover g.node rect{stroke-width:3}
path.edge{fill:none;stroke:#7a8591;stroke-width:1.4}path.edge.waiting{stroke-dasharray:4 4}
.dag-box{overflow-x:auto;border:1px solid #dde2e8;border-radius:6px;padding:6px;background:#fbfcfd}
.legend span{margin-right:14px;white-space:nowrap}.swatch{display:inline-block;width:12px;
height:12px;border:1.5px solid var(--line);background:var(--fill);border-radius:3px;
vertical-align:-1px;margin-right:5px}
td.state,td.duration,td.node{white-space:nowrap}
tr.state-failed td{background:#fdf1ef}tr.state-not-run td{color:#6b7480}
ul.props{list-style:none;margin:0;padding:0}
.status{display:inline-block;padding:2px 9px;border-radius:4px;font-weight:600}
.status.succeeded{background:#d7f0de}.status.failed{background:#fbd8d4}
.status.incomplete{background:#fff0c2}
iframe.summary-frame{width:100%;height:480px;border:1px solid #dde2e8;border-radius:4px}
details.visual{margin:6px 0}details.visual>summary{cursor:pointer;font-weight:600}
pre.error{white-space:pre-wrap;max-height:260px;overflow:auto;background:#f7f8fa;padding:6px}
"""

# Fit each embedded summary's frame to its content (srcdoc frames share the report's origin, so
# their documents can be measured); without scripts, frames keep their fixed height and scroll.
SCRIPT = """
function fitFrame(f){try{var d=f.contentDocument;if(!d||!d.documentElement)return;
var h=d.documentElement.scrollHeight;if(h>0){f.style.height=(h+24)+'px';f.dataset.fitted='1';}}
catch(e){}}
document.querySelectorAll('iframe.summary-frame').forEach(function(f){
f.addEventListener('load',function(){fitFrame(f);});fitFrame(f);});
document.querySelectorAll('details.visual').forEach(function(d){
d.addEventListener('toggle',function(){d.querySelectorAll('iframe').forEach(fitFrame);});});
"""


def render(view: RunView, *, base_dir: str | None) -> str:
    """The report page; links to local artifacts are relative to `base_dir` (where the report is
    written), or file:// URLs when it is None."""
    body = "".join(
        [
            _header(view),
            _section(
                "dag", "Graph", _legend() + f'<div class="dag-box">{dag_svg(view.nodes)}</div>'
            ),
            _section("nodes", "Nodes", _node_table(view)),
            _section("artifacts", "Artifacts", _artifacts(view, base_dir)),
            _section("visuals", "Visualizations", _visuals(view, base_dir)),
            f"<style>{STYLE}</style><script>{SCRIPT}</script>",
        ]
    )
    return page(f"Run {view.run_id} — {view.pipeline}", body)


def _section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'


def _header(view: RunView) -> str:
    counts = ", ".join(f"{n} {STATE_LABEL[s]}" for s, n in view.counts().items() if n)
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(view.created_ms / 1000))
    lineage = (
        '<p class="warn" id="graph-source">This run recorded no graph (an older Headrace or '
        "another tool ran it): the graph is rebuilt from ML Metadata's lineage, so nodes that "
        "never ran are missing.</p>"
        if view.graph_source == LINEAGE
        else ""
    )
    return (
        f'<header id="run" data-run-id="{escape(view.run_id)}" data-status="{view.status}">'
        f"<h1>Run {escape(view.run_id)}</h1>"
        f"<p>Pipeline <b>{escape(view.pipeline)}</b> · started {started} · "
        f'{duration(view.seconds)} · <span class="status {view.status}">{view.status}</span>'
        f'</p><p class="muted">{len(view.nodes)} nodes: {escape(counts)} · metadata '
        f"<code>{escape(view.metadata_url)}</code></p>{lineage}</header>"
    )


def _legend() -> str:
    items = "".join(
        f'<span><i class="swatch state-{s}"></i>{escape(STATE_LABEL[s])}</span>'
        for s in STATES
        if s not in ("running", "canceled")
    )
    return f'<p class="legend">{items}</p>'


def _node_table(view: RunView) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "node",
            "component",
            "state",
            "outcome",
            "cache reason",
            "duration",
            "execution",
            "error",
        )
    )
    rows = "".join(_node_row(n) for n in view.nodes)
    return f'<table id="node-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _node_row(n: NodeView) -> str:
    e = n.execution
    execution = "—" if e is None else str(e.id)
    if n.earlier:
        execution += "".join(
            f'<br><span class="muted">earlier: {x.id} {escape(x.state.lower())}</span>'
            for x in n.earlier
        )
    error = ""
    if n.error_line:
        error = (
            f'<span class="bad error-line">{escape(n.error_line)}</span>'
            f'<details><summary>full error</summary><pre class="error">'
            f"{escape(e.error if e else '')}</pre></details>"
        )
    cells = [
        f'<a href="#dag-svg">{escape(n.id)}</a>',
        escape(n.component),
        f'<i class="swatch state-{n.state}"></i>{escape(STATE_LABEL.get(n.state, n.state))}',
        escape(n.outcome),
        escape(e.cache_reason if e else ""),
        duration(n.seconds),
        execution,
        error,
    ]
    tds = "".join(
        f'<td class="{c}">{cell}</td>'
        for c, cell in zip(
            ("node", "component", "state", "outcome", "reason", "duration", "execution", "error"),
            cells,
            strict=True,
        )
    )
    return (
        f'<tr id="row-{escape(n.id)}" class="state-{n.state}" data-node="{escape(n.id)}" '
        f'data-state="{n.state}">{tds}</tr>'
    )


def _artifacts(view: RunView, base_dir: str | None) -> str:
    consumers: dict[int, list[str]] = {}
    for n in view.nodes:
        for artifacts in (n.execution.inputs if n.execution else {}).values():
            for a in artifacts:
                if a.id is not None:
                    consumers.setdefault(a.id, []).append(n.id)
    rows = []
    for n in view.nodes:
        for port, artifacts in sorted((n.execution.outputs if n.execution else {}).items()):
            for a in artifacts:
                rows.append(_artifact_row(n, port, a, consumers.get(a.id or -1, []), base_dir))
    if not rows:
        return '<p class="note">No node of this run output artifacts.</p>'
    head = "".join(
        f"<th>{h}</th>" for h in ("node", "output", "type", "id", "URI", "used by", "properties")
    )
    return (
        f'<table id="artifact-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _artifact_row(
    n: NodeView, port: str, a: Artifact, used_by: list[str], base_dir: str | None
) -> str:
    link = href(a.uri, base_dir)
    uri = escape(a.uri)
    target = f'<a class="uri" href="{escape(link)}">{uri}</a>' if link else f"<code>{uri}</code>"
    if is_local(a.uri) and not os.path.exists(local_path(a.uri)):
        target += ' <span class="warn">(gone)</span>'
    props = "".join(
        f"<li><b>{escape(k)}</b>: {escape(_short(v))}</li>"
        for k, v in sorted(a.properties.items())
        if v is not None
    )
    cells = [
        escape(n.id),
        escape(port),
        escape(a.TYPE_NAME),
        str(a.id),
        target,
        escape(", ".join(used_by)),
        f'<ul class="props">{props}</ul>' if props else "",
    ]
    return (
        f'<tr class="artifact" id="artifact-{a.id}" data-node="{escape(n.id)}" '
        f'data-port="{escape(port)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    )


def _short(value: object, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def href(uri: str, base_dir: str | None) -> str | None:
    """A link to an artifact's URI: relative to the report's directory for local paths (so the
    report and the pipeline root can move together), http(s) as is, None for object stores
    (gs://, s3://) a browser cannot open."""
    if uri.startswith(("http://", "https://")):
        return uri
    if not is_local(uri):
        return None
    path = os.path.abspath(local_path(uri))
    if base_dir is None:
        return "file://" + urllib.parse.quote(path)
    return urllib.parse.quote(os.path.relpath(path, base_dir))


def _visuals(view: RunView, base_dir: str | None) -> str:
    parts = [
        _summary(n, n.execution, base_dir)
        for n in view.nodes
        if n.execution is not None and n.execution.summary_uri
    ]
    if not parts:
        return (
            '<p class="note">No node of this run recorded a summary page (older runs, or nodes '
            "that did not run).</p>"
        )
    return "".join(parts)


def _summary(n: NodeView, e: ExecutionRecord, base_dir: str | None) -> str:
    uri = e.summary_uri
    title = f"{n.id} ({n.component}) — execution {e.id}"
    path = local_path(uri)
    try:
        with open(path, encoding="utf-8") as f:
            document = _with_base(f.read(), href(os.path.dirname(path), base_dir))
    except OSError as exc:
        inner = f'<p class="warn">Summary {escape(uri)} cannot be read: {escape(str(exc))}</p>'
    else:
        # srcdoc keeps the summary's own styles apart from the report's and the file one piece.
        inner = (
            f'<iframe class="summary-frame" data-node="{escape(n.id)}" '
            f'title="{escape(title)}" srcdoc="{escape(document, quote=True)}"></iframe>'
        )
    return (
        f'<details class="visual" id="visual-{escape(n.id)}" data-node="{escape(n.id)}" open>'
        f"<summary>{escape(title)}</summary>{inner}</details>"
    )


def _with_base(document: str, directory: str | None) -> str:
    """The summary's relative links (to its inputs' pages and artifacts) are relative to its own
    directory, but a srcdoc frame resolves them against the report: give it a <base>, and open
    links in a new tab rather than inside the frame."""
    if directory is None:
        return document
    base = f'<base href="{escape(directory.rstrip("/") + "/")}" target="_blank">'
    head = re.search(r"<head[^>]*>", document, re.IGNORECASE)
    if head is None:
        return base + document
    return document[: head.end()] + base + document[head.end() :]
