"""Compile benchmark: generated chain and fan-out pipelines of 100, 1,000 and 10,000 nodes, each
node with CPU/memory requests and every tenth with a GPU, compiled with the limit check ON (the
default), so a pipeline too large for one Workflow object is split into a parent and parts.

    .venv/bin/python benchmarks/compile.py [--repeat 3] [--hera-python /tmp/hera-venv/bin/python]
    .venv/bin/python benchmarks/compile.py --format kfp [--sizes 100,1000,10000]

Prints per pipeline: seconds to build the IR and to compile (wall and CPU: these machines are
shared, and wall time grows with the load), YAML bytes per node, how many Workflow objects it
became, the largest per-step payload (what Argo hands one node's pod as ARGO_TEMPLATE), the run
step's payload (the run graph, compressed), the largest object (spec + estimated run status)
and the workflow's annotations. Hera is measured in the same run when a Python with `hera`
installed is given (`uv venv /tmp/hera-venv && uv pip install --python /tmp/hera-venv/bin/python
hera[yaml]`): the same shapes written the way a Hera user would (one container template per
component, one DAG task per node with its arguments); without one, Hera is skipped with a note.

With --format kfp the same pipelines are compiled to KFP v2 pipeline specs (limit check on) and
it prints, per pipeline: compile time, YAML bytes per node, the number of executors, the largest
per-task payload (a task's JSON, component and executor: what KFP's driver hands one pod), the
run task's payload (the run graph) and the Argo Workflow KFP makes of it (with its status).

Targets (issue 13): 10,000 nodes compile in under 5 s; at most 400 B of YAML per node (aim 300);
the per-step payload flat from 100 to 10,000 nodes; no object over Kubernetes' limits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.compiler import CompileOptions, WorkflowTooLarge, compile_workflow
from headrace.compiler.kfp_v2 import compile_kfp
from headrace.compiler.limits import pod_payloads
from headrace.ir import PipelineIR, build
from headrace.types import Examples

OPTIONS = CompileOptions(
    image="registry.example.com/headrace:0.1.0",
    gpu_image="registry.example.com/headrace-gpu:0.1.0",
    pipeline_root="/mnt/pipelines",
    root_volume_claim="headrace-pipelines",
    metadata="mysql://mlmd@mysql.kubeflow:3306/metadb",
)
SIZES = (100, 1000, 10_000)


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


def _headrace(ir: PipelineIR, repeat: int) -> dict:
    walls, cpus, compiled = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        compiled = compile_workflow(ir, OPTIONS)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert compiled is not None
    docs = compiled.documents or (compiled.document,)
    payloads = [(task, size) for doc in docs for task, size in pod_payloads(doc)]
    nodes = [size for task, size in payloads if task != "headrace-run"
             and not (compiled.parts and task.startswith("part-"))]
    worst: dict[str, int] = {}
    for m in compiled.measures:
        kind = m.what.split(" (")[0].split(" [")[0]
        worst[kind] = max(worst.get(kind, 0), m.size)
    return {
        "wall": statistics.median(walls), "cpu": statistics.median(cpus),
        "bytes": len(compiled.yaml.encode()), "objects": len(docs),
        "node_payload": max(nodes), "run_payload": dict(payloads).get("headrace-run", 0),
        "object": worst["workflow object"], "annotations": worst["annotations of the workflow"],
        "exceeded": [m.what for m in compiled.measures if m.exceeded],
    }


_HERA = r"""
import json, sys, time
from hera.workflows import DAG, Container, Parameter, Workflow
from hera.workflows.models import ResourceRequirements

def resources(gpu):
    limits = {"cpu": "500m", "memory": "2Gi", **({"nvidia.com/gpu": "1"} if gpu else {})}
    return ResourceRequirements(requests={"cpu": "500m", "memory": "1Gi"}, limits=limits)

def build(shape, n):
    image = "registry.example.com/headrace:0.1.0"
    with Workflow(generate_name=f"{shape}-{n}-", entrypoint="dag") as w:
        kinds = {}
        for name, gpu in (("source", False), ("source-gpu", True), ("step", False),
                          ("step-gpu", True)):
            kinds[name] = Container(
                name=name, image=image, command=["python", "-m", "app"],
                args=["--node", "{{inputs.parameters.node}}", "--upstream",
                      "{{inputs.parameters.upstream}}", "--scale", "{{inputs.parameters.scale}}"],
                inputs=[Parameter(name="node"), Parameter(name="upstream"),
                        Parameter(name="scale")],
                resources=resources(gpu))
        with DAG(name="dag"):
            tasks = []
            for i in range(n):
                kind = ("source" if i == 0 else "step") + ("-gpu" if i % 10 == 0 else "")
                upstream = "" if i == 0 else (f"n{i - 1:04d}" if shape == "chain" else "n0000")
                t = kinds[kind](name=f"n{i:04d}", arguments={
                    "node": f"n{i:04d}", "upstream": upstream, "scale": "1.0"})
                if i:
                    tasks[i - 1 if shape == "chain" else 0] >> t
                tasks.append(t)
    return w

out = []
for shape, n in json.loads(sys.argv[1]):
    started, cpu = time.perf_counter(), time.process_time()
    text = build(shape, n).to_yaml()
    out.append({"shape": shape, "n": n, "seconds": time.perf_counter() - started,
                "cpu": time.process_time() - cpu, "bytes": len(text.encode())})
print(json.dumps(out))
"""


def _hera(python: str | None, cases: list[tuple[str, int]]) -> list[dict] | str:
    if not python:
        return ("Hera skipped: no --hera-python (or HERA_PYTHON) given; install it beside the "
                "project with `uv venv /tmp/hera-venv && uv pip install --python "
                "/tmp/hera-venv/bin/python hera[yaml]`.")
    probe = subprocess.run([python, "-c", "import hera; print(hera.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"Hera skipped: {python} cannot import hera ({probe.stderr.strip()[-200:]})."
    done = subprocess.run([python, "-c", _HERA, json.dumps(cases)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        return f"Hera skipped: its run failed: {done.stderr.strip()[-300:]}"
    return [{**row, "version": probe.stdout.strip()} for row in json.loads(done.stdout)]


def _kfp(ir: PipelineIR, repeat: int, options: CompileOptions) -> dict:
    walls, cpus, compiled = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            compiled = compile_kfp(ir, options)
        except WorkflowTooLarge:
            # Refused with the check on (as users get it); measured again without it.
            unchecked = compile_kfp(ir, options.override(enforce_limits=False))
            over = [m.what.split(" (")[0] for m in unchecked.measures if m.exceeded]
            sizes = {m.what.split(" (")[0]: m.size for m in unchecked.measures}
            return {"refused": f"REFUSED, over {'; '.join(over)}: KFP workflow "
                               f"{sizes['the Argo Workflow KFP makes of it']:,} B, "
                               f"task payload {sizes['largest per-task payload']:,} B"}
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert compiled is not None
    sizes = {m.what.split(" (")[0]: m.size for m in compiled.measures}
    return {
        "wall": statistics.median(walls), "cpu": statistics.median(cpus),
        "bytes": len(compiled.yaml.encode()),
        "executors": len(compiled.pipeline_spec["deploymentSpec"]["executors"]),
        "task_payload": sizes["largest per-task payload"],
        "run_payload": sizes["the run task's payload"],
        "workflow": sizes["the Argo Workflow KFP makes of it"],
    }


def kfp_main(sizes: list[int], repeat: int, retry_limit: int | None) -> int:
    options = OPTIONS if retry_limit is None else OPTIONS.override(retry_limit=retry_limit)
    print(f"KFP v2, retry limit {options.retry_limit}, limit check on")
    print(f"{'shape':<8} {'nodes':>6} {'compile':>8} {'(cpu)':>7} {'B/node':>7} {'executors':>9} "
          f"{'task payload':>12} {'run payload':>11} {'KFP workflow':>12}")
    rows = {}
    for shape, make in (("chain", chain), ("fan-out", fan_out)):
        for n in sizes:
            r = rows[shape, n] = _kfp(build(make(n)), repeat, options)
            if "refused" in r:
                print(f"{shape:<8} {n:>6}  {r['refused']}")
                continue
            print(f"{shape:<8} {n:>6} {r['wall']:>7.2f}s {r['cpu']:>6.2f}s "
                  f"{r['bytes'] / n:>7.0f} {r['executors']:>9} {r['task_payload']:>12,} "
                  f"{r['run_payload']:>11,} {r['workflow']:>12,}")
    ok = [r for r in rows.values() if "refused" not in r]
    payloads = [r["task_payload"] for r in ok]
    flat = bool(payloads) and max(payloads) < 1.1 * min(payloads)
    fan_1000 = rows.get(("fan-out", 1000))
    fits = fan_1000 is not None and "refused" not in fan_1000
    print(f"\ntask payload flat ({min(payloads, default=0):,}..{max(payloads, default=0):,} B): "
          f"{'OK' if flat else 'MISSED'}")
    if fan_1000 is not None:
        print(f"1,000-node fan-out compiles with the limit check on: {'OK' if fits else 'MISSED'}")
    return 0 if flat and (fan_1000 is None or fits) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median shown)")
    parser.add_argument("--format", choices=("argo", "kfp"), default="argo",
                        help="an Argo Workflow, or a KFP v2 pipeline spec")
    parser.add_argument("--retry-limit", type=int, help="--format kfp: retries per task "
                        "(default: CompileOptions')")
    parser.add_argument("--hera-python", default=os.environ.get("HERA_PYTHON"),
                        help="a Python with hera installed, to measure it in the same run")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.format == "kfp":
        return kfp_main(sizes, args.repeat, args.retry_limit)
    print(f"{'shape':<8} {'nodes':>6} {'IR':>7} {'compile':>8} {'(cpu)':>7} {'B/node':>7} "
          f"{'objects':>7} {'node payload':>12} {'run payload':>11} {'largest object':>14} "
          f"{'annotations':>11}")
    rows = {}
    for shape, make in (("chain", chain), ("fan-out", fan_out)):
        for n in sizes:
            started = time.perf_counter()
            ir = build(make(n))
            built = time.perf_counter() - started
            r = _headrace(ir, args.repeat)
            rows[shape, n] = r
            print(f"{shape:<8} {n:>6} {built:>6.2f}s {r['wall']:>7.2f}s {r['cpu']:>6.2f}s "
                  f"{r['bytes'] / n:>7.0f} {r['objects']:>7} {r['node_payload']:>12,} "
                  f"{r['run_payload']:>11,} {r['object']:>14,} {r['annotations']:>11,}"
                  + (f"  OVER: {r['exceeded']}" if r["exceeded"] else ""))
    hera = _hera(args.hera_python, [(s, n) for s in ("chain", "fan-out") for n in sizes])
    print()
    if isinstance(hera, str):
        print(hera)
    else:
        print(f"Hera {hera[0]['version']}, same shapes (one template per component, a task per "
              f"node), to_yaml():")
        for row in hera:
            print(f"{row['shape']:<8} {row['n']:>6} {row['seconds']:>7.2f}s "
                  f"({row['cpu']:.2f}s cpu) {row['bytes'] / row['n']:>7.0f} B/node")
    largest = max(sizes)
    slowest = max(r["wall"] for (_, n), r in rows.items() if n == largest)
    slowest_cpu = max(r["cpu"] for (_, n), r in rows.items() if n == largest)
    per_node = max(r["bytes"] / n for (_, n), r in rows.items())
    payloads = [r["node_payload"] for r in rows.values()]
    flat = max(payloads) < 1.1 * min(payloads)
    over = [k for k, r in rows.items() if r["exceeded"]]
    print(f"\n{largest:,} nodes compile in {slowest:.2f} s wall, {slowest_cpu:.2f} s CPU "
          f"(target < 5 s): {'OK' if slowest_cpu < 5 else 'MISSED'}")
    print(f"YAML per node at most {per_node:.0f} B (target <= 400, aim 300): "
          f"{'OK' if per_node <= 400 else 'MISSED'}")
    print(f"node payload flat ({min(payloads):,}..{max(payloads):,} B): "
          f"{'OK' if flat else 'MISSED'}")
    print(f"every object within the limits: {'OK' if not over else f'MISSED {over}'}")
    return 0 if slowest_cpu < 5 and per_node <= 400 and flat and not over else 1


if __name__ == "__main__":
    sys.exit(main())
