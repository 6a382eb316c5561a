"""Warnings: what compiles but may fail in the cluster (paths from this machine, a worker pool
that cannot be reached), for the CLI to show next to the written YAML."""

from __future__ import annotations

from urllib.parse import urlsplit

from headrace.compiler.options import CompileOptions
from headrace.ir import PipelineIR


def warnings_for(ir: PipelineIR, options: CompileOptions) -> list[str]:
    found = []
    files: dict[tuple[str, str], list[str]] = {}
    for node in ir.nodes:
        if node.executor.file:
            files.setdefault((node.component, node.executor.file), []).append(node.id)
    # Once per component: a fan-out of 1,000 nodes of one component is one thing to fix.
    for (component, file), ids in files.items():
        who = f"Node {ids[0]!r}" if len(ids) == 1 else f"Component {component!r} ({len(ids)} nodes)"
        found.append(
            f"{who}: its component is loaded from the file {file}; the image must hold that "
            f"file at the same path (or make the module importable by name in the image)."
        )
    for node in ir.nodes:
        for p in node.parameters:
            local = isinstance(p.value, str) and p.value and "://" not in p.value
            if p.name in node.file_parameters and local:
                found.append(
                    f"Node {node.id!r}: file parameter {p.name!r} = {p.value!r} is a path "
                    f"on this machine; the image (or the pipeline root) must hold it there."
                )
        if node.resources.gpu and not (node.image or options.gpu_image):
            found.append(
                f"Node {node.id!r} asks for {node.resources.gpu} GPU(s) but runs the CPU image; "
                f"pass --gpu-image=IMAGE (with CUDA libraries) or .with_image('...')."
            )
    beam = options.beam
    if beam.portable and beam.worker_pool == "step" and beam.endpoint:
        host = urlsplit(f"//{beam.endpoint}").hostname
        if host not in ("localhost", "127.0.0.1", "::1"):
            found.append(
                f"Beam worker pool 'step' with job server {beam.endpoint}: Beam job "
                f"services hand SDK workers control endpoints on localhost, so a worker pool in "
                f"the step's pod serves only a job service running in that pod; for a Flink or "
                f"Spark cluster use worker pool 'cluster' (a sidecar of its TaskManagers)."
            )
    return found
