"""The Beam pipeline a Beam-based component runs in, built from the node's effective Beam args.

DirectRunner in-process by default (spawning multi-processing workers costs seconds each, more
than small inputs take); `--direct_running_mode=multi_processing`, or a portable runner
(`--runner=PortableRunner --job_endpoint=... --environment_type=EXTERNAL ...`) for Flink or
Spark, come in through the pipeline's or the node's `beam_args` (`headrace run --beam-runner
flink --beam-job-endpoint HOST:PORT` sets them). A job sent to a job server prints where it went
and its final state; one that fails there raises BeamJobError naming the endpoint, the job and
where the logs are.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from headrace.errors import BeamJobError

# Set by `headrace run` (and read here, in the executor): where the SDK worker pool and the job
# server write their logs, for the message of a failed job.
WORKER_POOL_LOG_ENV = "HEADRACE_BEAM_WORKER_POOL_LOG"
JOB_SERVER_LOG_ENV = "HEADRACE_BEAM_JOB_SERVER_LOG"


def _flag(args: Sequence[str], name: str) -> str | None:
    value = None
    for arg in args:
        flag, _, given = arg.partition("=")
        if flag == name:
            value = given
    return value


@contextlib.contextmanager
def beam_pipeline(beam_args: Sequence[str]) -> Iterator[Any]:
    """A `beam.Pipeline` for these arguments, run (and waited for) when the block ends."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_args)
    if _flag(args, "--runner") is None:
        args.append("--runner=DirectRunner")
    endpoint = _flag(args, "--job_endpoint")
    portable = (_flag(args, "--runner") or "").lower() in ("portablerunner", "portable")
    pipeline = beam.Pipeline(options=PipelineOptions(args))
    if not portable:
        with pipeline:
            yield pipeline
        return
    started = time.monotonic()
    built = False
    try:
        with pipeline:
            yield pipeline
            built = True
    except Exception as exc:
        if not built:  # the component's own code failed while building the graph
            raise
        raise BeamJobError(_failure(pipeline, endpoint, args, exc)) from exc
    result = pipeline.result
    print(
        f"Beam job {getattr(result, '_job_id', '?')} on the job server at {endpoint}: "
        f"{result.state} in {time.monotonic() - started:.1f} s",
        flush=True,
    )


def _failure(pipeline: Any, endpoint: str | None, args: list[str], exc: Exception) -> str:
    result = getattr(pipeline, "result", None)
    job = getattr(result, "_job_id", None)
    text = str(exc).strip() or type(exc).__name__
    pool = _flag(args, "--environment_config")
    server_log = os.environ.get(JOB_SERVER_LOG_ENV) or f"the log of the process at {endpoint}"
    logs = [f"job server: {server_log}"]
    if os.environ.get(WORKER_POOL_LOG_ENV):
        logs.append(f"SDK worker pool at {pool}: {os.environ[WORKER_POOL_LOG_ENV]}")
    if job is None:  # run() itself failed: the job never reached the server
        what = (
            f"could not submit the Beam job to the job server at {endpoint} "
            f"({text.splitlines()[0]}); is it running? `headrace beam serve flink|spark --port "
            f"{(endpoint or ':8099').rsplit(':', 1)[-1]}` starts one"
        )
    else:
        what = f"Beam job {job} failed on the job server at {endpoint}: {text}"
    missing = re.search(r"ModuleNotFoundError: No module named '([^']+)'", text)
    if missing:
        what += (
            f". The SDK workers could not import {missing.group(1)!r}: code a Beam job runs "
            f"must be importable on the workers (a module or package on their Python path), "
            f"not defined in the pipeline file itself"
        )
    elif pool and ("worker" in text.lower() or "environment" in text.lower()):
        what += (
            f". The engine starts SDK workers through the worker pool at {pool}: it must "
            f"run on the engine's machine (localhost there) with this Python on PATH"
        )
    return f"{what}. Logs: {'; '.join(logs)}. Nothing was published for this execution."
