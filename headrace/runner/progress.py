"""Live progress and the end-of-run summary on the console."""

from __future__ import annotations

import threading

from rich.console import Console

from headrace.errors import HeadraceError
from headrace.launcher import CACHED, DONE_BEFORE, RESOLVED, LaunchResult
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

    def node_failed(self, node_id: str, error: BaseException) -> None:
        self._say(f"  [red]✗[/red] {node_id} failed: {error}")
        detail = getattr(error, "user_traceback", "")
        # An error a component raised on purpose (bad data, a bad module file) already says
        # where and what to do; its traceback stays in ML Metadata (`headrace runs show`).
        if detail and not isinstance(error.__cause__, HeadraceError):
            self._say(f"[dim]{detail.rstrip()}[/dim]")


def print_summary(console: Console, summary: RunSummary) -> None:
    outcomes = [r.outcome for r in summary.results.values()]
    console.print(
        f"\nRun [bold]{summary.run_id}[/bold]: {len(summary.results)} of "
        f"{len(summary.results) + len(summary.failed) + len(summary.not_run)} nodes done "
        f"({outcomes.count('executed')} executed, {outcomes.count(CACHED)} cached, "
        f"{outcomes.count(DONE_BEFORE)} done before) in {summary.seconds:.1f}s"
    )
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
