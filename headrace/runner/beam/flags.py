"""The Beam flags that send a local run's Beam jobs to a Flink or Spark job server, and the
check that the server answers before a run starts."""

from __future__ import annotations

import importlib.metadata

from headrace.errors import BeamServerError
from headrace.runner.beam.engines import check_sdk
from headrace.runner.beam.processes import listening

ENVIRONMENT_CACHE_MS = 600_000


def portable_args(
    *, runner: str, endpoint: str, worker_pool: str, artifacts_dir: str, workers: int = 2
) -> tuple[str, ...]:
    """Flags of the same shape as the compiled workflow's (compiler/beam.py runner_args)."""
    # Flink's parallelism (Spark's comes from its local[N] master): one SDK worker per slot.
    parallelism = (f"--parallelism={workers}",) if runner == "flink" else ()
    return (
        "--runner=PortableRunner",
        f"--job_endpoint={endpoint}",
        "--environment_type=EXTERNAL",
        f"--environment_config={worker_pool}",
        f"--artifacts_dir={artifacts_dir}",
        *parallelism,
        # Keep SDK workers for the whole job: by default the runner closes a stage's workers
        # when the stage ends and the pool starts fresh ones (a Python start and imports, many
        # seconds each here) for the next of a job's 5-10 stages.
        f"--environment_cache_millis={ENVIRONMENT_CACHE_MS}",
        # The stager would run `pip freeze` (uv's virtualenvs have no pip) only to log it.
        "--experiments=disable_logging_submission_environment",
    )


def check_endpoint(endpoint: str, runner: str) -> None:
    """Refuse an endpoint that does not answer, or a Beam SDK the job servers do not pair with."""
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise BeamServerError(
            f"--beam-job-endpoint {endpoint!r} must be HOST:PORT, e.g. localhost:8099."
        )
    if not listening(host, int(port), timeout=5.0):
        raise BeamServerError(
            f"No Beam job server answers at {endpoint}; start one with `headrace beam serve "
            f"{runner} --port {port}` (in another terminal) and run again."
        )
    problem = check_sdk(importlib.metadata.version("apache-beam"))
    if problem:
        raise BeamServerError(f"Beam jobs cannot go to {endpoint}: {problem}.")
