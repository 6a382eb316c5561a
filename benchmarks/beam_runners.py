"""StatisticsGen and Transform on DirectRunner, Flink and Spark with 2 workers each: rows/s side by
side, and the per-job submission overhead (a one-element job, start to DONE).

    uv run python benchmarks/beam_runners.py [--rows 1000000]
        [--runners direct,direct-mp,flink,spark]
        [--sdk-workers processes|threads]

The input is benchmarks/transform.py's synthetic taxi-like data (6 float, 2 int, 2 string
features and a label; 2:1 train/eval as gzipped tf.Example TFRecords), written once under
--workdir. `direct`: DirectRunner in-process (Headrace's default); `direct-mp`: its 2-process
mode; `flink`/`spark`: `headrace beam serve`'s job servers (Flink's mini-cluster with 2 slots,
Spark's local[2]) with an EXTERNAL SDK worker pool, as `headrace run --beam-runner` uses them.
Each runner's figures come from one fresh process (imports before the clock: the times are the
components' work and their jobs' overhead).

Measured on the shared 2-core development machine while about seven other sessions ran their
tests (load average 14-18, so every figure is several times what an idle machine gives; 200,000
rows, as 1M did not fit the time left), SDK workers as processes:

    direct:    StatisticsGen 50.6 s =  3,954 rows/s; Transform 100.8 s = 1,985 rows/s; job  0.4 s
    direct-mp: StatisticsGen 46.4 s =  4,311 rows/s; Transform  68.1 s = 2,938 rows/s; job 18.4 s
    flink:     StatisticsGen 66.0 s =  3,032 rows/s; Transform  99.9 s = 2,002 rows/s; job 32.2 s
    spark:     StatisticsGen 68.8 s =  2,909 rows/s; Transform 127.1 s = 1,573 rows/s; job 37.4 s

Where Flink's time goes: a fixed ~30 s per job (submission, the mini-cluster's job graph, and the
SDK worker processes each importing Beam, TFDV/TFT and TensorFlow before their first bundle);
past it, Flink's two workers do the rows about as fast as DirectRunner's one process, since every
element also crosses the Fn API's gRPC data plane between Java and Python. Before
`--environment_cache_millis` the runner started fresh workers for each of a job's stages
(ExampleGen's penguin job: 273 s -> 38 s). `--sdk-workers threads` imports once per pool.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _transform_bench():
    spec = importlib.util.spec_from_file_location("transform_bench", HERE / "transform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _context(out: str, node: str, beam_args: list[str]):
    from headrace.dsl import ExecutionContext

    return ExecutionContext(pipeline="benchmark", pipeline_root=out, run_id="benchmark",
                            node_id=node, execution_id=1, beam_args=tuple(beam_args),
                            temp_dir=f"{out}/tmp-{node}")


def run_case(directory: Path, rows: int, beam_args: list[str]) -> dict:
    """In this (fresh) process: a one-element job, then StatisticsGen, then Transform."""
    import headrace  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
    from headrace.components.beam import beam_pipeline
    from headrace.components.statistics_gen import StatisticsGen
    from headrace.components.transform import Transform
    from headrace.types import Examples, ExampleStatistics, Schema, TransformGraph

    marker = directory / "rows.json"
    if not marker.exists():
        directory.mkdir(parents=True, exist_ok=True)
        _transform_bench().prepare_synthetic(directory, rows)
        marker.write_text(json.dumps({"rows": rows}))
    import apache_beam as beam
    import tensorflow_data_validation  # noqa: F401
    import tensorflow_transform.beam  # noqa: F401

    examples = Examples(str(directory / "ex"), {"split_names": '["eval", "train"]'})
    figures: dict = {"rows": rows}
    with tempfile.TemporaryDirectory(dir=directory) as out:
        started = time.perf_counter()
        with beam_pipeline(beam_args) as p:
            _ = p | beam.Create([1]) | beam.Map(lambda x: x + 1)
        figures["noop_job_s"] = time.perf_counter() - started

        statistics = ExampleStatistics(f"{out}/statistics")
        os.makedirs(statistics.uri)
        started = time.perf_counter()
        StatisticsGen.fn(examples=examples, statistics=statistics, schema=None,
                         stats_options=None, exclude_splits=None,
                         context=_context(out, "StatisticsGen", beam_args))
        figures["statistics_s"] = time.perf_counter() - started

        graph, transformed = TransformGraph(f"{out}/graph"), Examples(f"{out}/transformed")
        os.makedirs(graph.uri)
        os.makedirs(transformed.uri)
        started = time.perf_counter()
        Transform.fn(examples=examples, schema=Schema(str(directory / "schema")),
                     transform_graph=graph, transformed_examples=transformed,
                     module_file=str(directory / "module.py"),
                     context=_context(out, "Transform", beam_args))
        figures["transform_s"] = time.perf_counter() - started
    return figures


def _runner_args(runner: str, workdir: Path, sdk_workers: str, stack):
    if runner == "direct":
        return [], None
    if runner == "direct-mp":
        return ["--direct_running_mode=multi_processing", "--direct_num_workers=2"], None
    from headrace.runner.beam import JobServer, WorkerPool, portable_args

    server = stack.enter_context(JobServer.start(runner, workers=2))
    pool = stack.enter_context(WorkerPool.start(workdir / f"pool-{runner}.log", mode=sdk_workers))
    args = portable_args(runner=runner, endpoint=server.endpoint, worker_pool=pool.address,
                         artifacts_dir=str(workdir / "_beam_artifacts"), workers=2)
    return list(args), server


def main() -> None:
    import contextlib

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runners", default="direct,direct-mp,flink,spark")
    parser.add_argument("--sdk-workers", choices=("processes", "threads"), default="processes")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--beam-arg", action="append", default=[], dest="beam_args",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="headrace-bench-beam-"))
    directory = workdir / f"synthetic-{args.rows}"
    if args.child:
        print(json.dumps(run_case(directory, args.rows, args.beam_args)))
        return
    print(f"Beam runners benchmark: {args.rows:,} rows under {workdir}, SDK workers "
          f"{args.sdk_workers} for flink/spark")
    for runner in args.runners.split(","):
        with contextlib.ExitStack() as stack:
            beam_args, server = _runner_args(runner, workdir, args.sdk_workers, stack)
            command = [sys.executable, __file__, "--child", "--rows", str(args.rows),
                       "--workdir", str(workdir), *(f"--beam-arg={a}" for a in beam_args)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{runner:>9}: failed\n{done.stderr[-3000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        where = f" ({server.engine.describe()})" if server else ""
        print(f"{runner:>9}: StatisticsGen {r['statistics_s']:7.1f} s = "
              f"{r['rows'] / r['statistics_s']:>9,.0f} rows/s; Transform {r['transform_s']:7.1f} s "
              f"= {r['rows'] / r['transform_s']:>9,.0f} rows/s; one-element job "
              f"{r['noop_job_s']:5.1f} s{where}", flush=True)


if __name__ == "__main__":
    main()
