"""Live progress and the end-of-run summary on the console."""

from __future__ import annotations

import threading

from rich.console import Console

from headrace.errors import HeadraceError
from headrace.launcher import CACHED, DONE_BEFORE, EXECUTED, RESOLVED, LaunchResult
from headrace.runner.local import RunSummary

# Output properties that say what happened, shown under the URIs in the summary: rows written,
# whether a model was blessed or pushed, and why.
HEADLINE = ("rows_per_split", "blessed", "pushed", "reason", "pushed_destination")


class ConsoleReporter:
    """One line per node event, safe to call from the runner's worker threads."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        with self._lock:
            self.console.print(text)

    def node_started(self, node_id: str) -> None:
        self._say(f"  [cyan]▶[/cyan] {node_id} started")

    def node_finished(self, result: LaunchResult) -> None:
        if result.outcome == CACHED:
            self._say(
                f"  [green]↺[/green] {result.node_id} cached [dim]({result.cache_reason})[/dim]"
            )
        elif result.outcome == RESOLVED:
            self._say(
                f"  [green]✓[/green] {result.node_id} resolved [dim]({result.cache_reason})[/dim]"
            )
        elif result.outcome == DONE_BEFORE:
            self._say(f"  [green]✓[/green] {result.node_id} already complete in this run")
        else:
            self._say(
                f"  [green]✓[/green] {result.node_id} executed in {result.seconds:.2f}s "
                f"[dim]({result.cache_reason})[/dim]"
            )

    def note(self, text: str) -> None:
        self._say(f"[yellow]{text}[/yellow]")

    def node_failed(self, node_id: str, error: BaseException) -> None:
        self._say(f"  [red]✗[/red] {node_id} failed: {error}")
        detail = getattr(error, "user_traceback", "")
        # An error a component raised on purpose (bad data, a bad module file) already says
        # where and what to do; its traceback stays in ML Metadata (`headrace runs show`).
        if detail and not isinstance(error.__cause__, HeadraceError):
            self._say(f"[dim]{detail.rstrip()}[/dim]")


def summary_line(summary: RunSummary) -> str:
    """ "Run R: 9 of 9 nodes done (7 executed, 1 cached, 1 resolved) in 14.2s": the parts add up
    to the nodes done, and failed and not-run nodes are counted after them."""
    outcomes = [r.outcome for r in summary.results.values()]
    total = len(summary.results) + len(summary.failed) + len(summary.not_run)
    parts = [f"{outcomes.count(EXECUTED)} executed", f"{outcomes.count(CACHED)} cached"]
    parts += [
        f"{outcomes.count(kind)} {label}"
        for kind, label in ((RESOLVED, "resolved"), (DONE_BEFORE, "done before"))
        if kind in outcomes
    ]
    tail = ""
    if summary.failed:
        tail += f", {len(summary.failed)} failed"
    if summary.not_run:
        tail += f", {len(summary.not_run)} not run"
    return (
        f"Run [bold]{summary.run_id}[/bold]: {len(summary.results)} of {total} nodes done "
        f"({', '.join(parts)}){tail} in {summary.seconds:.1f}s"
    )


def print_summary(console: Console, summary: RunSummary) -> None:
    console.print(f"\n{summary_line(summary)}")
    for node_id, result in summary.results.items():
        for port, artifacts in result.outputs.items():
            for a in artifacts:
                console.print(f"  {node_id}.{port}: {a.uri}")
                for key in HEADLINE:
                    if key in a.properties:
                        console.print(f"      {key}: {a.properties[key]}")
    if summary.not_run:
        console.print(f"  not run: {', '.join(summary.not_run)}")
    console.print(f"Metadata: {summary.metadata}")
