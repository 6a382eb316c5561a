"""Benchmark of ExampleGen's CSV engine against pyarrow's own CSV reader.

Generates synthetic CSVs (20 columns: 8 int, 6 float, 6 string, some empty cells; fixed seed)
under a temporary directory, then for each size runs, each in a fresh child process:
pyarrow.csv.read_csv on the file, and csv_to_examples on the same file. Prints rows/s of both,
their ratio, CPU seconds used (user + system: comparable on a busy machine, where wall
times are not), and the peak RSS of the conversion (child process and its workers).

    python benchmarks/example_gen.py                  # 1M and 4M rows
    python benchmarks/example_gen.py --rows 200000    # a quick try
    python benchmarks/example_gen.py --repeat 3       # keep the fastest of 3 runs each
    python benchmarks/example_gen.py --beam-arg=--direct_running_mode=multi_processing \
        --beam-arg=--direct_num_workers=2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

COLUMNS = 20
SEED = 20240611


def generate(path: str, rows: int) -> None:
    """Write `rows` rows of the synthetic table to `path`, 250k rows at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(SEED)
    words = np.array([f"w{i:04d}_{'x' * (i % 7)}" for i in range(1000)], dtype=object)
    writer = None
    done = 0
    while done < rows:
        n = min(250_000, rows - done)
        columns = {}
        for i in range(8):
            empty = rng.random(n) < (0.05 if i % 2 else 0.0)
            columns[f"int_{i}"] = pa.array(rng.integers(-1000, 100_000, n), mask=empty)
        for i in range(6):
            empty = rng.random(n) < (0.1 if i % 3 == 0 else 0.0)
            columns[f"float_{i}"] = pa.array(np.round(rng.normal(100, 50, n), 4), mask=empty)
        for i in range(6):
            empty = rng.random(n) < (0.05 if i % 2 else 0.0)
            values = words[rng.integers(0, len(words), n)]
            columns[f"str_{i}"] = pa.array(values, type=pa.string(), mask=empty)
        table = pa.table(columns)
        if writer is None:
            writer = pcsv.CSVWriter(path, table.schema)
        writer.write_table(table)
        done += n
    if writer is not None:
        writer.close()


def _cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for children (Beam workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024  # ru_maxrss is in KiB on Linux


def child_pyarrow(path: str) -> dict:
    import pyarrow.csv as pcsv

    cpu = _cpu_seconds()
    start = time.perf_counter()
    table = pcsv.read_csv(path)
    seconds = time.perf_counter() - start
    return {
        "rows": table.num_rows,
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_convert(path: str, out: str, beam_args: list[str], threads: int | None) -> dict:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    start = time.perf_counter()
    import apache_beam  # noqa: F401 - imported before timing: a cost paid once per process

    from headrace.components.example_gen import EngineOptions, csv_to_examples

    imports = time.perf_counter() - start
    cpu = _cpu_seconds()
    start = time.perf_counter()
    options = EngineOptions(beam_args=tuple(beam_args), threads=threads)
    result = csv_to_examples(path, out, options=options)
    seconds = time.perf_counter() - start
    return {
        "rows": result.total_rows,
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "import_seconds": imports,
        "peak_rss_mb": _peak_rss_mb(),
        "rows_per_split": result.rows_per_split,
        "output_mb": sum(
            os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs
        )
        / 1e6,
    }


def _run_child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"child {args[0]} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure(
    repeat: int, path: str, out: str, beam_args: list[str], threads: int | None
) -> tuple[dict, dict]:
    """The fastest of `repeat` runs of pyarrow and of ours, interleaved so that both see
    the same moments of a machine that may be busy with other work."""
    base_runs, our_runs = [], []
    for _ in range(repeat):
        base_runs.append(_run_child("pyarrow", path))
        shutil.rmtree(out, ignore_errors=True)
        extra = [f"--beam-arg={a}" for a in beam_args]
        if threads:
            extra.append(f"--threads={threads}")
        our_runs.append(_run_child("convert", path, out, *extra))
        shutil.rmtree(out, ignore_errors=True)
    fastest = min(base_runs, key=lambda run: run["seconds"])
    return fastest, min(our_runs, key=lambda run: run["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--workdir", help="where to put the CSVs (default: a temp dir)")
    parser.add_argument("--beam-arg", action="append", default=[], dest="beam_args")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measurement; the fastest is kept"
    )
    parser.add_argument("--threads", type=int, help="EngineOptions.threads (default: CPUs)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "pyarrow":
            print(json.dumps(child_pyarrow(rest[0])))
        else:
            print(json.dumps(child_convert(rest[0], rest[1], args.beam_args, args.threads)))
        return

    workdir = args.workdir or tempfile.mkdtemp(prefix="headrace-bench-")
    os.makedirs(workdir, exist_ok=True)
    print(f"workdir {workdir}; beam args {args.beam_args or '(in-process DirectRunner)'}")
    from headrace.components.example_gen.gzip_member import BACKEND

    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; deflate: {BACKEND}")
    header = (
        f"{'rows':>9} {'csv MB':>7} {'pyarrow rows/s':>15} {'ours rows/s':>12} {'ratio':>6}"
        f" {'ours s':>7} {'ours CPU s':>10} {'pyarrow CPU s':>13} {'peak RSS MB':>12}"
        f" {'pyarrow RSS MB':>15} {'out MB':>7}"
    )
    print(header)
    peaks = {}
    try:
        for rows in args.rows:
            path = os.path.join(workdir, f"synthetic_{rows}.csv")
            if not os.path.exists(path):
                generate(path, rows)
            mb = os.path.getsize(path) / 1e6
            out = os.path.join(workdir, f"out_{rows}")
            base, ours = _measure(args.repeat, path, out, args.beam_args, args.threads)
            assert ours["rows"] == rows == base["rows"], (ours, base)
            base_rate = rows / base["seconds"]
            rate = rows / ours["seconds"]
            peaks[rows] = ours["peak_rss_mb"]
            print(
                f"{rows:>9} {mb:>7.0f} {base_rate:>15,.0f} {rate:>12,.0f} {rate / base_rate:>6.1%}"
                f" {ours['seconds']:>7.2f} {ours['cpu_seconds']:>10.1f}"
                f" {base['cpu_seconds']:>13.1f}"
                f" {ours['peak_rss_mb']:>12.0f}"
                f" {base['peak_rss_mb']:>15.0f} {ours['output_mb']:>7.0f}",
                flush=True,
            )
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        print(
            f"peak RSS {large:,} rows / {small:,} rows: {peaks[large] / peaks[small]:.2f}"
            " (target: within 1.20)"
        )


if __name__ == "__main__":
    main()
