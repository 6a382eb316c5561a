"""Running whole pipelines on this machine."""

from headrace.runner.local import LocalRunner, Reporter, RunSummary, SilentReporter, new_run_id

__all__ = ["LocalRunner", "Reporter", "RunSummary", "SilentReporter", "new_run_id"]
