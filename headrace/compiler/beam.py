"""A node's effective Beam arguments (runner flags for Flink/Spark, then the pipeline's, then the
node's, flag by flag), checked at compile time, and the Beam worker-pool sidecar."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from headrace.compiler.options import BeamOptions
from headrace.compiler.storage import Root, beam_artifacts_dir
from headrace.errors import DefinitionError
from headrace.ir import NodeIR, PipelineIR, merge_beam_args

_FLAG = re.compile(r"--[A-Za-z][A-Za-z0-9_-]*(=.*)?", re.DOTALL)
WORKER_POOL_CONTAINER = "beam-worker-pool"
_PORTABLE = "portablerunner"
_OBJECT_STORE = ("gs://", "s3://", "s3a://", "hdfs://", "abfs://", "abfss://", "az://")


def uses_beam(node: NodeIR, beam: BeamOptions) -> bool:
    """The nodes `--beam-node` names, else those whose component runs Beam (the IR's flag)."""
    return node.id in beam.nodes if beam.nodes is not None else node.beam


def runner_args(beam: BeamOptions, root: Root) -> tuple[str, ...]:
    """The flags that send a Beam job to the Flink/Spark job server; none for `direct`."""
    if not beam.portable:
        return ()
    return (
        "--runner=PortableRunner",
        f"--job_endpoint={beam.endpoint}",
        "--environment_type=EXTERNAL",
        f"--environment_config=localhost:{beam.worker_pool_port}",
        # Staged files go to shared storage: a job server's local /tmp is invisible to workers.
        f"--artifacts_dir={beam.artifacts_dir or beam_artifacts_dir(root)}",
    )


def node_beam_args(
    ir: PipelineIR, node: NodeIR, beam: BeamOptions, root: Root
) -> tuple[str, ...]:
    """The node's effective Beam arguments, or () for a node that runs no Beam jobs."""
    if not uses_beam(node, beam):
        return ()
    where = f"Node {node.id!r} ({node.component}, defined at {node.defined_at})"
    _check_syntax(f"Pipeline {ir.name!r}", ir.beam_args)
    _check_syntax(where, node.beam_args)
    args = merge_beam_args(merge_beam_args(runner_args(beam, root), ir.beam_args), node.beam_args)
    _check_effective(where, args, beam, root)
    return args


def _check_syntax(where: str, args: Iterable[str]) -> None:
    for arg in args:
        if not isinstance(arg, str) or not _FLAG.fullmatch(arg):
            raise DefinitionError(
                f"{where}: Beam argument {arg!r} is not a flag; write each one as a single "
                f"'--flag=value' argument (e.g. '--runner=PortableRunner'), so that node "
                f"arguments can override pipeline ones flag by flag."
            )


def _values(args: Iterable[str]) -> dict[str, str]:
    values = {}
    for arg in args:
        flag, _, value = arg.partition("=")
        values[flag] = value
    return values


def _check_effective(where: str, args: tuple[str, ...], beam: BeamOptions, root: Root) -> None:
    values = _values(args)
    runner = values.get("--runner", "DirectRunner")
    if runner.lower() not in (_PORTABLE, "portable"):
        return
    if not values.get("--job_endpoint"):
        raise DefinitionError(
            f"{where}: PortableRunner needs --job_endpoint=HOST:PORT of a Flink or Spark job "
            f"server; set --beam-runner=flink --beam-job-endpoint=HOST:PORT."
        )
    env_type = values.get("--environment_type", "DOCKER").upper()
    if env_type == "DOCKER":
        raise DefinitionError(
            f"{where}: Beam environment DOCKER (PortableRunner's default) needs a Docker daemon, "
            f"which Kubernetes pods do not have; use --environment_type=EXTERNAL with a worker "
            f"pool (--beam-runner=flink or spark sets that up)."
        )
    if env_type == "LOOPBACK":
        raise DefinitionError(
            f"{where}: Beam environment LOOPBACK runs SDK workers inside this step, where a "
            f"job server's workers cannot reach them; use --environment_type=EXTERNAL."
        )
    if env_type == "EXTERNAL" and not values.get("--environment_config"):
        raise DefinitionError(
            f"{where}: --environment_type=EXTERNAL needs --environment_config=HOST:PORT of a "
            f"Beam worker pool (e.g. localhost:{beam.worker_pool_port})."
        )
    staged = values.get("--artifacts_dir")
    if staged and not (staged.startswith(_OBJECT_STORE) or _under(staged, root.path)):
        raise DefinitionError(
            f"{where}: --artifacts_dir={staged} is neither under the pipeline root "
            f"({root.path}) nor in an object store, so the job server's workers cannot read "
            f"what this step stages there."
        )


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def needs_worker_sidecar(args: tuple[str, ...], beam: BeamOptions) -> bool:
    """True when this step's Beam jobs expect the worker pool in the step's own pod."""
    if beam.worker_pool != "step" or not args:
        return False
    values = _values(args)
    return (values.get("--runner", "").lower() in (_PORTABLE, "portable")
            and values.get("--environment_type", "").upper() == "EXTERNAL"
            and values.get("--environment_config") == f"localhost:{beam.worker_pool_port}")


def worker_sidecar(
    *, image: str, beam: BeamOptions, env: list[dict[str, Any]], mounts: list[dict[str, Any]],
    pull_policy: str | None,
) -> dict[str, Any]:
    """The Beam SDK worker pool as a sidecar: same image (same Python, same user code) and the
    same pipeline-root mount as the step, since its workers read and write the artifacts."""
    memory, cpu = beam.worker_memory, beam.worker_cpu
    sidecar: dict[str, Any] = {
        "name": WORKER_POOL_CONTAINER,
        "image": image,
        # Explicit command: Argo's emissary executor cannot look up an image's entrypoint.
        "command": ["python", "-m", "apache_beam.runners.worker.worker_pool_main"],
        "args": [f"--service_port={beam.worker_pool_port}"],
    }
    if pull_policy:
        sidecar["imagePullPolicy"] = pull_policy
    if env:
        sidecar["env"] = env
    sidecar["resources"] = {"requests": {"cpu": cpu, "memory": memory},
                            "limits": {"cpu": cpu, "memory": memory}}
    if mounts:
        sidecar["volumeMounts"] = mounts
    return sidecar
