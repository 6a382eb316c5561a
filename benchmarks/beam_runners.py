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

Measured on the shared 2-core development machine, 200,000 rows (1M did not fit the time left),
one run after another while the machine was quiet (load average about 4; under the load of
seven sessions' tests, 14-18, every figure was 3-6x larger):

    direct: Stats  7.7 s = 25,834 r/s; Transform 13.7 s = 14,550 r/s; job 0.1 s
    direct-mp: Stats 13.7 s = 14,562 r/s; Transform 18.5 s = 10,819 r/s; job 2.7 s
    flink processes: Stats 16.1 s = 12,394 r/s; Transform 26.7 s =  7,492 r/s; job 5.8 s
    spark processes: Stats 21.4 s =  9,363 r/s; Transform 30.8 s =  6,494 r/s; job 8.4 s
    flink threads: Stats 17.2 s = 11,632 r/s; Transform 21.1 s =  9,471 r/s; job 6.0 s
    spark threads: Stats 15.5 s = 12,887 r/s; Transform 19.0 s = 10,534 r/s; job 3.9 s

Flink with 2 workers is slower than the in-process DirectRunner here, for three reasons: a fixed
cost per job (the one-element job: submission, the job graph, SDK workers started and importing
Beam, TFDV/TFT and TensorFlow before their first bundle; 4-8 s idle, ~30 s under load); every
element crossing the Fn API's gRPC data plane between the JVM and Python at each stage boundary;
and two cores shared by the JVM, the two SDK workers and the submitting process, so the second
worker has no core of its own (DirectRunner's own 2-process mode is slower than in-process for
the same reason). Before `--environment_cache_millis` the runner also started fresh SDK workers
for every stage of a job (ExampleGen's penguin job: 273 s -> 38 s under load).
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
              f"{r['rows'] / r['statistics_s']:>9,.0f} r/s; Transform {r['transform_s']:7.1f} s "
              f"= {r['rows'] / r['transform_s']:>9,.0f} rows/s; one-element job "
              f"{r['noop_job_s']:5.1f} s{where}", flush=True)


if __name__ == "__main__":
    main()
