"""A component whose Beam job fails on the engine (a worker raises), for the error tests."""

from __future__ import annotations

from headrace import Output, Pipeline, component
from headrace.dsl import ExecutionContext
from headrace.types import Examples


@component
def breaks_on_worker(examples: Output[Examples], context: ExecutionContext) -> None:
    """Writes nothing: its Beam job fails on the SDK worker."""
    import apache_beam as beam

    from headrace.components.beam import beam_pipeline

    with beam_pipeline(context.beam_args) as p:
        _ = p | beam.Create([1, 2, 3]) | beam.Map(lambda x: 1 // (x - 3))  # ZeroDivisionError at 3
    examples.properties["split_names"] = '["train"]'


pipeline = Pipeline(name="beam-fails", components=[breaks_on_worker()])
