"""What a KFP v2 pipeline spec cannot say that an Argo Workflow can: refused at compile time with
what to use instead, never dropped; and the one behaviour that differs (retries) said out loud."""

from __future__ import annotations

import re
from decimal import Decimal

from headrace.compiler import beam as beam_mod
from headrace.compiler.options import CompileOptions
from headrace.compiler.storage import pipeline_root
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR

_UNITS = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
# Workflow-level settings a v2 spec has no field for, and where that setting lives instead.
_WORKFLOW_ONLY = {
    "namespace": "KFP runs a pipeline in the namespace it is uploaded to and run in: use "
    "`headrace upload --namespace`",
    "service_account": "KFP runs it with the namespace's pipeline-runner account unless the run "
    "names another: use `headrace upload --run --service-account`",
    "generate_name": "KFP names each run itself: use `headrace upload --run --run-name`",
    "pod_gc": "KFP's own settings decide when pods are deleted (Argo's podGC in "
    "pipeline-install-config)",
    "workflow_timeout_seconds": "a v2 spec has no pipeline-wide timeout; keep the per-step "
    "timeout (--step-timeout)",
    "host_network": "a v2 spec's Kubernetes platform settings have no host network; KFP "
    "clusters have a pod network",
    "nodes_per_workflow": "KFP makes one Argo Workflow of a v2 spec and cannot split it; each "
    "task carries only its own node, so leave the split out",
}


def refuse_unsupported(
    ir: PipelineIR, options: CompileOptions, *, reserved_inputs: tuple[str, ...] = ()
) -> None:
    """DefinitionError for the first node or option a v2 spec cannot express, or a runtime
    parameter named like an input Headrace's tasks use for themselves."""
    clash = sorted(p.name for p in ir.runtime_parameters if p.name in reserved_inputs)
    if clash:
        raise DefinitionError(
            f"Runtime parameter {clash[0]!r} of pipeline {ir.name!r} has a name Headrace's KFP "
            f"tasks use for themselves ({', '.join(sorted(reserved_inputs))}); rename it."
        )
    defaults = CompileOptions()
    for name, instead in _WORKFLOW_ONLY.items():
        value = getattr(options, name)
        if value is not None and value != getattr(defaults, name):
            flag = "--" + name.replace("_seconds", "").replace("_", "-")
            raise DefinitionError(
                f"{name}={value!r} (`{flag}`) is a workflow setting that a KFP v2 pipeline spec "
                f"cannot hold: {instead}; or compile to an Argo Workflow (--format argo)."
            )
    root = pipeline_root(ir, options)
    for node in ir.nodes:
        where = f"Node {node.id!r} ({node.component}, defined at {node.defined_at})"
        if node.container:
            raise DefinitionError(
                f"{where} is a container component, which runs as three steps (a Headrace "
                f"driver, your image only when the cache misses, a publisher) joined by output "
                f"parameters and a `when` condition; the v2 format does not carry that yet: "
                f"compile with --format argo."
            )
        args = beam_mod.node_beam_args(ir, node, options.beam, root)
        if beam_mod.needs_worker_sidecar(args, options.beam):
            raise DefinitionError(
                f"{where} needs a Beam worker-pool sidecar (--beam-worker-pool step), and a KFP "
                f"v2 task is one container with no sidecars: use --beam-worker-pool cluster "
                f"(the worker pool beside the Flink/Spark workers, manifests/overlays/flink or "
                f"spark), or --format argo."
            )


def retry_note(options: CompileOptions) -> list[str]:
    if not options.retry_limit:
        return []
    return [
        f"KFP v2 retries a failed task (up to {options.retry_limit} times) whatever the "
        f"failure: it has no retry condition, so a failure in your own code is retried too "
        f"(Argo retries only infrastructure failures). --retry-limit 0 turns retries off."
    ]


def duration_seconds(text: str) -> int:
    """A Go duration ('30s', '1m30s', '2h') in whole seconds, at least 1, for KFP's proto
    Durations (which JSON writes only in seconds)."""
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)", text)
    total = sum((Decimal(n) * _UNITS[u] for n, u in parts), Decimal(0))
    return max(1, int(total.to_integral_value()))
