"""The Beam pipeline a Beam-based component runs in, built from the node's effective Beam args.

DirectRunner in-process by default (spawning multi-processing workers costs seconds each, more
than small inputs take); `--direct_running_mode=multi_processing`, or a portable runner
(`--runner=PortableRunner --job_endpoint=... --environment_type=EXTERNAL ...`) for Flink or
Spark, come in through the pipeline's or the node's `beam_args`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def beam_pipeline(beam_args: Sequence[str]) -> Any:
    """A `beam.Pipeline` for these arguments; use it as a context manager to run it."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.append("--runner=DirectRunner")
    return beam.Pipeline(options=PipelineOptions(args))
