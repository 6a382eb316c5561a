"""Orchestration overhead per node: 50 no-op function components, as a chain and as a fan-out,
run in-process by the local runner — cold (empty store) and cached (same pipeline again) — on
SQLite and, when reachable, on the MariaDB/MySQL server (scripts/setup-mysql.sh).

    uv run python benchmarks/orchestration.py [--nodes 50] [--repeat 3]

Targets on a 2-core machine: under 100 ms per node cold and 30 ms per node cached on SQLite.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import tempfile
import time

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner
from headrace.types import Examples


@component
def noop(out: Output[Examples], upstream: Input[Examples] | None = None, i: Parameter[int] = 0):
    """Does nothing: what remains is orchestration."""


def chain(n: int) -> Pipeline:
    nodes = [noop(i=0).with_id("n0")]
    for i in range(1, n):
        nodes.append(noop(upstream=nodes[-1].outputs["out"], i=i).with_id(f"n{i}"))
    return Pipeline(name=f"chain{n}", components=nodes)


def fan_out(n: int) -> Pipeline:
    head = noop(i=0).with_id("head")
    leaves = [noop(upstream=head.outputs["out"], i=i).with_id(f"leaf{i}") for i in range(1, n)]
    return Pipeline(name=f"fanout{n}", components=[head, *leaves])


def measure(url: str, pipeline: Pipeline, root: str) -> tuple[float, float]:
    """(cold ms/node, cached ms/node) for one fresh store."""
    ir = build(pipeline)
    runner = LocalRunner(store=open_store(url), metadata_url=url, parallelism=2)
    per_node = []
    for expected in ("executed", "cached"):
        started = time.perf_counter()
        summary = runner.run(ir, root=root)
        elapsed = time.perf_counter() - started
        outcomes = {r.outcome for r in summary.results.values()}
        assert summary.ok and outcomes == {expected}, (summary.failed, outcomes)
        per_node.append(elapsed * 1000 / len(ir.nodes))
    return per_node[0], per_node[1]


def mysql_url() -> str | None:
    os.environ.setdefault("HEADRACE_MYSQL_PASSWORD", "headrace-test")
    env = {**os.environ, "MYSQL_PWD": os.environ["HEADRACE_MYSQL_PASSWORD"]}
    try:
        ok = (
            subprocess.run(
                ["mariadb", "-uheadrace", "-h127.0.0.1", "-e", "SELECT 1"],
                env=env,
                capture_output=True,
            ).returncode
            == 0
        )
    except FileNotFoundError:
        ok = False
    return f"mysql://headrace@127.0.0.1:3306/headrace_bench_{secrets.token_hex(4)}" if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'backend':8} {'shape':8} {'cold ms/node':>13} {'cached ms/node':>15}  (median of "
        f"{args.repeat}, {args.nodes} nodes, in-process)"
    )
    backends = {"sqlite": None, "mysql": mysql_url()}
    for backend, base in backends.items():
        if backend == "mysql" and base is None:
            print("mysql    skipped: no server/user (run scripts/setup-mysql.sh)")
            continue
        for shape, make in (("chain", chain), ("fan-out", fan_out)):
            results = []
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as tmp:
                    url = (
                        f"sqlite://{tmp}/m.sqlite"
                        if backend == "sqlite"
                        else f"{base[: base.rindex('_')]}_{secrets.token_hex(4)}"
                    )
                    results.append(measure(url, make(args.nodes), tmp))
                    if backend == "mysql":
                        database = url.rsplit("/", 1)[1]
                        subprocess.run(
                            [
                                "mariadb",
                                "-uheadrace",
                                "-h127.0.0.1",
                                "-e",
                                f"DROP DATABASE {database}",
                            ],
                            env={**os.environ, "MYSQL_PWD": os.environ["HEADRACE_MYSQL_PASSWORD"]},
                        )
            cold = statistics.median(r[0] for r in results)
            cached = statistics.median(r[1] for r in results)
            print(f"{backend:8} {shape:8} {cold:13.1f} {cached:15.1f}")


if __name__ == "__main__":
    main()
