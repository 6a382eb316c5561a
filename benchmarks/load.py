"""Load on one MySQL MLMD: 20 concurrent small runs, then 4 concurrent penguin runs, each run in
its own process as `headrace run` would; errors, p50/p95 orchestration overhead per node, and the
MLMD row counts checked exact.

    HEADRACE_MYSQL_PASSWORD=headrace-test uv run python benchmarks/load.py \
        [--small 20] [--penguin 4] [--mysql headrace@127.0.0.1:3306]

Needs the MariaDB/MySQL server and user of scripts/setup-mysql.sh; makes (and drops) databases
named headrace_load_*. Not part of CI: the figures go in the closing note of issue 18.

Orchestration overhead of a node = the time launch() took (driver, MLMD writes, publishing, its
HTML summary) minus the time inside the component's own function (`work_seconds`, which the
small components record). The 20 small runs have distinct parameters, so every node executes.
The penguin runs share everything up to the Transform (same data and code) and differ in
`train_steps`: one run computes each shared node while the others wait for it and reuse it
(issue 18, point 3); each computes its own Trainer, Evaluator and Pusher.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.types import Examples, ExampleStatistics, Model

HERE = Path(__file__).resolve()


@component
def make_rows(examples: Output[Examples], rows: Parameter[int] = 100) -> None:
    """Write `rows` numbers."""
    start = time.perf_counter()
    with open(os.path.join(examples.uri, "data.txt"), "w") as f:
        f.writelines(f"{i}\n" for i in range(rows))
    examples.properties["rows"] = rows
    examples.properties["work_seconds"] = time.perf_counter() - start


@component
def count_rows(examples: Input[Examples], statistics: Output[ExampleStatistics]) -> None:
    """Count them."""
    start = time.perf_counter()
    with open(os.path.join(examples.uri, "data.txt")) as f:
        statistics.properties["rows"] = sum(1 for _ in f)
    statistics.properties["work_seconds"] = time.perf_counter() - start


@component
def fit(
    examples: Input[Examples],
    a: Input[ExampleStatistics],
    b: Input[ExampleStatistics],
    model: Output[Model],
) -> None:
    """Check both counts and write a 'model'."""
    start = time.perf_counter()
    assert a.properties["rows"] == b.properties["rows"] == examples.properties["rows"]
    with open(os.path.join(model.uri, "model.json"), "w") as f:
        json.dump({"rows": a.properties["rows"]}, f)
    model.properties["work_seconds"] = time.perf_counter() - start


def small_pipeline(rows: int) -> Pipeline:
    p = make_rows(rows=rows)
    a = count_rows(examples=p.outputs["examples"]).with_id("count_a")
    b = count_rows(examples=p.outputs["examples"]).with_id("count_b")
    t = fit(examples=p.outputs["examples"], a=a.outputs["statistics"], b=b.outputs["statistics"])
    return Pipeline(name="load-small", components=[p, a, b, t])


# -- one run, in a child process ---------------------------------------------------------------


def child(kind: str, index: int, url: str, root: str) -> None:
    """Run one pipeline with the local runner (as `headrace run` does) and print its nodes."""
    from headrace.ir import build
    from headrace.metadata import open_store
    from headrace.runner import LocalRunner

    if kind == "small":
        pipeline = small_pipeline(rows=1000 + index)
    else:
        sys.path.insert(0, str(HERE.parents[1]))
        from examples.penguin.pipeline import create_pipeline

        pipeline = create_pipeline(root=root, train_steps=100 + index, metadata=url)
    started = time.monotonic()
    store = open_store(url)
    summary = LocalRunner(store=store, metadata_url=url, parallelism=2).run(
        build(pipeline), root=root
    )
    nodes = {
        node_id: {
            "outcome": r.outcome,
            "seconds": r.seconds,
            "work": sum(
                float(a.properties.get("work_seconds", 0.0))
                for arts in r.outputs.values()
                for a in arts
            )
            if r.outcome == "executed"
            else 0.0,
        }
        for node_id, r in summary.results.items()
    }
    print(
        json.dumps(
            {
                "run_id": summary.run_id,
                "ok": summary.ok,
                "failed": {k: str(v)[:300] for k, v in summary.failed.items()},
                "wall": time.monotonic() - started,
                "nodes": nodes,
            }
        )
    )


# -- the driver --------------------------------------------------------------------------------


def _mysql(address: str, sql: str) -> str:
    user, _, hostport = address.partition("@")
    host, _, port = hostport.partition(":")
    done = subprocess.run(
        ["mariadb", f"-u{user}", f"-h{host}", f"-P{port or 3306}", "-N", "-e", sql],
        env={**os.environ, "MYSQL_PWD": os.environ.get("HEADRACE_MYSQL_PASSWORD", "")},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _count(address: str, database: str, query: str) -> int:
    return int(_mysql(address, f"USE {database}; {query}").strip())


def _percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def phase(kind: str, runs: int, address: str, workdir: str) -> bool:
    database = f"headrace_load_{kind}_{secrets.token_hex(3)}"
    url = f"mysql://{address}/{database}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE), "--child", kind, str(i), url,
             os.path.join(workdir, f"{kind}-{i}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(runs)
    ]
    outputs = [p.communicate() for p in procs]
    wall = time.monotonic() - started
    results, errors = [], []
    for p, (out, err) in zip(procs, outputs, strict=True):
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if p.returncode != 0 or not lines:
            errors.append(f"exit {p.returncode}: {err.strip()[-500:]}")
            continue
        result = json.loads(lines[-1])
        results.append(result)
        if not result["ok"]:
            errors.append(f"run {result['run_id']}: {result['failed']}")
    print(f"\n== {runs} concurrent {kind} runs on one MySQL MLMD ({database}): {wall:.1f}s wall")
    print(f"errors: {len(errors)}")
    for e in errors:
        print(f"  {e}")
    by_outcome: dict[str, list[float]] = {}
    for r in results:
        for node in r["nodes"].values():
            overhead = node["seconds"] - node["work"]
            by_outcome.setdefault(node["outcome"], []).append(overhead)
    for outcome, values in sorted(by_outcome.items()):
        if kind == "small" or outcome == "resolved":
            what = "overhead"
        elif outcome == "cached":  # served by another run's execution, mostly after waiting
            what = "launch time (waiting for the run computing it included)"
        else:
            what = "wall (work included)"
        print(f"  {outcome:9s} nodes: {len(values):3d}, {what} per node {_percentiles(values)}")
    if results:
        walls = [r["wall"] for r in results]
        print(f"  run wall: {_percentiles(walls)}")
    try:
        return _check_rows(kind, runs, address, database) and not errors
    finally:
        _mysql(address, f"DROP DATABASE IF EXISTS {database}")


def _check_rows(kind: str, runs: int, address: str, database: str) -> bool:
    """MLMD's rows, counted with SQL, against what `runs` runs of the pipeline must leave."""
    nodes = 4 if kind == "small" else 9

    def count(q: str) -> int:
        return _count(address, database, q)

    # MLMD's enums: Execution.State COMPLETE=3, CACHED=5; Event.Type INPUT=3, OUTPUT=4.
    got = {
        "executions": count("SELECT COUNT(*) FROM Execution"),
        "unfinished executions": count(
            "SELECT COUNT(*) FROM Execution WHERE last_known_state NOT IN (3, 5)"
        ),
        "run contexts": count(
            "SELECT COUNT(*) FROM Context c JOIN Type t ON c.type_id = t.id "
            "WHERE t.name = 'pipeline_run'"
        ),
        "node contexts": count(
            "SELECT COUNT(*) FROM Context c JOIN Type t ON c.type_id = t.id WHERE t.name = 'node'"
        ),
        # Every artifact has exactly one producer, a COMPLETE execution: none published twice.
        "artifacts without one COMPLETE producer": count(
            "SELECT COUNT(*) FROM Artifact a WHERE (SELECT COUNT(*) FROM Event e JOIN Execution x "
            "ON e.execution_id = x.id WHERE e.artifact_id = a.id AND e.type = 4 "
            "AND x.last_known_state = 3) <> 1"
        ),
        "executions attributed to more than one run": count(
            "SELECT COUNT(*) FROM (SELECT execution_id FROM Association ab JOIN Context c "
            "ON ab.context_id = c.id JOIN Type t ON c.type_id = t.id "
            "WHERE t.name = 'pipeline_run' GROUP BY execution_id HAVING COUNT(*) <> 1) x"
        ),
    }
    want = {
        "executions": runs * nodes,
        "unfinished executions": 0,
        "run contexts": runs,
        "node contexts": nodes,
        "artifacts without one COMPLETE producer": 0,
        "executions attributed to more than one run": 0,
    }
    if kind == "small":
        # Every node executes (distinct parameters): one artifact per output, and events for
        # each output and each input edge (count_a 1, count_b 1, fit 3).
        got["artifacts"] = count("SELECT COUNT(*) FROM Artifact")
        got["events"] = count("SELECT COUNT(*) FROM Event")
        want["artifacts"] = runs * 4
        want["events"] = runs * (4 + 5)
    else:
        # The 5 shared nodes computed once (the other runs waited and reused them); each run
        # computes its own Trainer, Evaluator and Pusher: 2 + 2 + 2 + 1 + 2 + runs * (2 + 2 + 1)
        # artifacts; the Resolver creates none.
        got["COMPLETE executions"] = count(
            "SELECT COUNT(*) FROM Execution WHERE last_known_state = 3"
        )
        want["COMPLETE executions"] = 5 + runs * 3
        got["artifacts"] = count("SELECT COUNT(*) FROM Artifact")
        want["artifacts"] = 1 + 1 + 1 + 1 + 2 + runs * (2 + 2 + 1)
    ok = True
    for name, expected in want.items():
        mark = "ok" if got[name] == expected else "MISMATCH"
        ok &= got[name] == expected
        print(f"  MLMD {name}: {got[name]} (expected {expected}) {mark}")
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, index, url, root = sys.argv[2:6]
        child(kind, int(index), url, root)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=20, help="concurrent small runs")
    parser.add_argument("--penguin", type=int, default=4, help="concurrent penguin runs")
    parser.add_argument("--mysql", default="headrace@127.0.0.1:3306", metavar="USER@HOST:PORT")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="headrace-load-") as workdir:
        ok = True
        if args.small:
            ok &= phase("small", args.small, args.mysql, workdir)
        if args.penguin:
            ok &= phase("penguin", args.penguin, args.mysql, workdir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
