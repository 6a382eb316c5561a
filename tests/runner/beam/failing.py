"""A pipeline whose one Beam job fails on the engine (tests/runner/test_beam_engines.py)."""

from __future__ import annotations

# Next to this file, as a user keeps the code of their Beam jobs: the run puts its import path
# on the SDK workers' PYTHONPATH, so they import it by the same name.
from breaking_job import breaks_on_worker

from headrace import Pipeline

pipeline = Pipeline(name="beam-fails", components=[breaks_on_worker()])
