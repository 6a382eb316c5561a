"""`headrace runs report`: one static, self-contained HTML page for a run, read from ML
Metadata — its DAG with each node's state, the nodes, the artifacts and their summaries."""

from __future__ import annotations

import contextlib
import os
import tempfile

from headrace.errors import ReportError
from headrace.metadata import Store
from headrace.runner.report.model import NodeView, RunView, run_view
from headrace.runner.report.page import render

RECENT = 5  # runs an "unknown run" error names


def load_run(store: Store, run_id: str) -> RunView:
    record = store.get_run(run_id)
    if record is None:
        recent = [r.run_id for r in store.list_runs()[:RECENT]]
        known = f"recent runs: {', '.join(recent)}" if recent else "it records no runs yet"
        raise ReportError(
            f"No run {run_id!r} in {store.url}; {known} (`headrace runs list` shows them all)."
        )
    return run_view(record, str(store.url))


def report_html(store: Store, run_id: str, *, base_dir: str | None = None) -> str:
    """The report of run `run_id`; local artifact links relative to `base_dir` if given."""
    return render(load_run(store, run_id), base_dir=base_dir)


def write_report(store: Store, run_id: str, path: str) -> RunView:
    """Write the report of `run_id` to `path` (replaced whole: a reader never sees half)."""
    view = load_run(store, run_id)
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    text = render(view, base_dir=directory)
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".report-", suffix=".html")
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the report from other readers
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise _unwritable(path, exc) from exc
    return view


def _unwritable(path: str, exc: OSError) -> ReportError:
    return ReportError(
        f"Cannot write the report to {path}: {exc.strerror or exc}; pass -o a file in a "
        f"directory that exists and that you can write to."
    )


__all__ = ["NodeView", "RunView", "load_run", "report_html", "write_report"]
