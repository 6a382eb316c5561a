"""Beam on a real Flink or Spark on this machine: the job servers (`headrace beam serve`), their
jars from Maven, a local SDK worker pool, and the flags that send a run's Beam jobs there."""

from headrace.runner.beam.engines import ENGINES, Engine
from headrace.runner.beam.flags import check_endpoint, portable_args
from headrace.runner.beam.server import JobServer
from headrace.runner.beam.worker_pool import WorkerPool

__all__ = ["ENGINES", "Engine", "JobServer", "WorkerPool", "check_endpoint", "portable_args"]
