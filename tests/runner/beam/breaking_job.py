"""A component whose Beam job fails on the engine's SDK worker (a ZeroDivisionError at row 3).

In an importable module, as code Beam runs on remote workers must be: a function defined in a
pipeline file is pickled by reference to a module the workers cannot import."""

from __future__ import annotations

from headrace import Output, component
from headrace.dsl import ExecutionContext
from headrace.types import Examples


def explode(x: int) -> int:
    return 1 // (x - 3)


@component
def breaks_on_worker(examples: Output[Examples], context: ExecutionContext) -> None:
    """Writes nothing: its Beam job fails on the SDK worker."""
    import apache_beam as beam

    from headrace.components.beam import beam_pipeline

    with beam_pipeline(context.beam_args) as p:
        _ = p | beam.Create([1, 2, 3]) | beam.Map(explode)
    examples.properties["split_names"] = '["train"]'
