"""A pipeline whose one Beam job fails on the engine (tests/runner/test_beam_engines.py)."""

from __future__ import annotations

from headrace import Pipeline
from tests.runner.beam.breaking import breaks_on_worker

pipeline = Pipeline(name="beam-fails", components=[breaks_on_worker()])
