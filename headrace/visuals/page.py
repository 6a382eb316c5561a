"""A whole self-contained HTML document around view fragments: inline CSS, no scripts, nothing
fetched from the network (so it opens from disk, in the KFP UI's sandboxed viewer and offline)."""

from __future__ import annotations

from headrace.visuals.markup import esc

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;
margin:0;padding:16px 24px;background:#fff}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:17px;margin:20px 0 6px;border-bottom:1px solid #dde2e8}
h3{font-size:15px;margin:14px 0 6px}h4{font-size:14px;margin:10px 0 4px}
table{border-collapse:collapse;margin:4px 0 10px;font-size:13px}
th,td{border:1px solid #dde2e8;padding:3px 7px;text-align:left;vertical-align:top}
thead th{background:#f2f4f7}table.kv th{background:#f7f8fa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555}.muted{color:#6b7480;margin:2px 0}.warn{color:#8a5a00}
.bad{color:#b00020;font-weight:600}
.good{color:#17703a;font-weight:600}
.verdict{font-size:15px;padding:6px 10px;border-radius:4px;display:inline-block;margin:4px 0}
.verdict.good{background:#e6f4ea}.verdict.bad{background:#fce8e6}
.topbar{display:inline-block;height:9px;background:#4a78b5;vertical-align:middle;margin-right:4px}
svg text{font-size:11px;fill:#1d232b}code{font-size:12px;background:#f2f4f7;padding:0 3px}
section{margin-bottom:8px}.scroll{overflow-x:auto}
"""


def _scoped(css: str, scope: str) -> str:
    """`css` with every selector confined to elements under `scope` (`body` becomes `scope`)."""
    rules = []
    for rule in css.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        confined = (
            scope if s.strip() == "body" else f"{scope} {s.strip()}" for s in selectors.split(",")
        )
        rules.append(f"{','.join(confined)}{{{body}}}")
    return "".join(rules)


_SCOPE = "headrace-view"
_SCOPED_STYLE = _scoped(STYLE, f".{_SCOPE}")


def embedded(fragment_html: str) -> str:
    """A fragment styled like a page, for a host page that has styles of its own (a Jupyter
    notebook): the page's CSS is confined to one wrapping element, so the host keeps its look."""
    return f'<div class="{_SCOPE}"><style>{_SCOPED_STYLE}</style>{fragment_html}</div>'


def page(title: str, body_html: str) -> str:
    """A complete HTML document titled `title` (escaped) around `body_html` (already HTML)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body_html}</body></html>\n"
    )
