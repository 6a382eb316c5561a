"""Compile benchmark: generated chain and fan-out pipelines of 10, 100 and 1,000 nodes, each node
with CPU/memory requests and every tenth with a GPU; prints compile time and YAML bytes per node.

    .venv/bin/python benchmarks/compile.py [--repeat 5] [--format argo|kfp]

Targets: 1,000 nodes compile in under 2 s; YAML bytes per node do not grow with pipeline size.
Compile time is IR -> YAML text including the size measurement (building the IR from the DSL is
timed separately). Pipelines past the cluster's size limits are compiled with the limit check
off, and the table says which limits they exceed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.compiler import CompileOptions, compile_workflow
from headrace.compiler.kfp_v2 import compile_kfp
from headrace.ir import PipelineIR, build
from headrace.types import Examples

OPTIONS = CompileOptions(
    image="registry.example.com/headrace:0.1.0",
    gpu_image="registry.example.com/headrace-gpu:0.1.0",
    pipeline_root="/mnt/pipelines",
    root_volume_claim="headrace-pipelines",
    metadata="mysql://mlmd@mysql.kubeflow:3306/metadb",
    enforce_limits=False,
)
SIZES = (10, 100, 1000)


@component
def source(examples: Output[Examples], rows: Parameter[int] = 1000) -> None:
    """Produce examples."""


@component
def step(examples: Input[Examples], out: Output[Examples], scale: Parameter[float] = 1.0) -> None:
    """Transform examples."""


def _resources(nodes: list, gpu_every: int = 10) -> list:
    for i, node in enumerate(nodes):
        node.with_resources(cpu="500m", memory="1Gi", memory_limit="2Gi",
                            gpu=1 if i % gpu_every == 0 else 0)
    return nodes


def chain(n: int) -> Pipeline:
    nodes = [source().with_id("n0000")]
    for i in range(1, n):
        upstream = nodes[-1].outputs.get("examples") or nodes[-1].outputs["out"]
        nodes.append(step(examples=upstream).with_id(f"n{i:04d}"))
    return Pipeline(name=f"chain-{n}", components=_resources(nodes))


def fan_out(n: int) -> Pipeline:
    first = source().with_id("n0000")
    nodes = [first] + [step(examples=first.outputs["examples"]).with_id(f"n{i:04d}")
                       for i in range(1, n)]
    return Pipeline(name=f"fan-out-{n}", components=_resources(nodes))


def _time(ir: PipelineIR, repeat: int, fmt: str = "argo") -> tuple[float, str, list[str]]:
    times, compiled = [], None
    compile_fn = compile_kfp if fmt == "kfp" else compile_workflow
    for _ in range(repeat):
        started = time.perf_counter()
        compiled = compile_fn(ir, OPTIONS)
        times.append(time.perf_counter() - started)
    assert compiled is not None
    exceeded = [m.what.split(" (")[0] for m in compiled.measures if m.exceeded]
    return statistics.median(times), compiled.yaml, exceeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size (median shown)")
    parser.add_argument("--format", choices=("argo", "kfp"), default="argo",
                        help="an Argo Workflow, or a KFP v2 pipeline spec")
    args = parser.parse_args()
    print(f"{'shape':<8} {'nodes':>6} {'build IR':>9} {'compile':>9} {'YAML bytes':>11} "
          f"{'bytes/node':>10}  over limits")
    per_node: dict[str, list[float]] = {}
    worst_1000 = 0.0
    for shape, make in (("chain", chain), ("fan-out", fan_out)):
        for n in SIZES:
            started = time.perf_counter()
            ir = build(make(n))
            built = time.perf_counter() - started
            seconds, text, exceeded = _time(ir, args.repeat, args.format)
            size = len(text.encode())
            per_node.setdefault(shape, []).append(size / n)
            if n == 1000:
                worst_1000 = max(worst_1000, seconds)
            print(f"{shape:<8} {n:>6} {built:>8.3f}s {seconds:>8.3f}s {size:>11,} "
                  f"{size / n:>10,.0f}  {', '.join(exceeded) or '-'}")
    # A fixed part (a KFP spec's executors, each with the IR) weighs more in small pipelines:
    # what must not happen is bytes per node growing with the pipeline.
    flat = all(v[-1] / min(v) < 1.1 for v in per_node.values())
    print(f"\n1,000 nodes compile in {worst_1000:.2f} s (target < 2 s): "
          f"{'OK' if worst_1000 < 2 else 'MISSED'}")
    print(f"bytes per node at 1,000 nodes within 10% of the least: {'OK' if flat else 'MISSED'}")
    return 0 if worst_1000 < 2 and flat else 1


if __name__ == "__main__":
    sys.exit(main())
