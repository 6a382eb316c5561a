"""What `headrace compile` can be told besides the IR: images, cluster, storage, metadata, Beam,
retries and timeouts. Plain frozen values, so a CLI or a pipeline file can build them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from headrace.compiler import cluster
from headrace.compiler.quantity import parse_quantity
from headrace.errors import DefinitionError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_HOST_PORT = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}")
_DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+")
BeamRunner = Literal["direct", "flink", "spark"]
WorkerPool = Literal["cluster", "step"]
PodGCStrategy = Literal[
    "OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"
]


@dataclass(frozen=True, kw_only=True)
class SecretRef:
    """One key of a Kubernetes Secret; the compiled YAML names it, never holds its value."""

    name: str
    key: str

    def __post_init__(self) -> None:
        if not _DNS_SUBDOMAIN.fullmatch(self.name or ""):
            raise DefinitionError(
                f"Secret name {self.name!r} is not a Kubernetes name (lower-case letters, digits, "
                f"'-' and '.')."
            )
        if not re.fullmatch(r"[-._a-zA-Z0-9]+", self.key or ""):
            raise DefinitionError(f"Secret key {self.key!r} must hold only letters, digits, -._")

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """`name/key` or `name:key`, the form a CLI flag takes."""
        name, sep, key = text.replace(":", "/", 1).partition("/")
        if not sep:
            raise DefinitionError(f"Secret reference {text!r} must look like NAME/KEY.")
        return cls(name=name, key=key)


@dataclass(frozen=True, kw_only=True)
class BeamOptions:
    """Where Beam-based nodes run their Beam jobs.

    `direct`: inside the step (Beam's DirectRunner, the pipeline's own args). `flink`/`spark`:
    submitted to the portable job server at `job_endpoint` (HOST:PORT; default with worker
    pool `cluster`: the job server of the `flink` or `spark` overlay in `manifests/`) with SDK
    workers from a worker pool (`--environment_type=EXTERNAL
    --environment_config=localhost:PORT`). Beam's job services hand SDK workers control
    endpoints on localhost, so the pool must share a network namespace with whatever runs the
    job: `cluster` means the pool is a sidecar of the Flink TaskManager / Spark worker pods
    (Beam's documented Flink-on-Kubernetes setup, deployed with the cluster); `step` adds the
    pool as a sidecar of each Beam step's pod, for a job service that runs in that pod.
    `nodes`: ids of the nodes that run Beam jobs (None: those whose component says it runs
    Beam, `@component(beam=True)`, as the Beam-based standard components do).
    """

    runner: BeamRunner = "direct"
    job_endpoint: str | None = None
    worker_pool: WorkerPool = "cluster"
    worker_pool_port: int = cluster.WORKER_POOL_PORT
    worker_cpu: str = "1"
    worker_memory: str = "2Gi"
    # Where the job's artifacts are staged; None: `<pipeline root>/_beam_artifacts`, so a job
    # server with the same root mounted (or an object store) serves them to its workers.
    artifacts_dir: str | None = None
    nodes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.runner not in ("direct", "flink", "spark"):
            raise DefinitionError(
                f"Beam runner {self.runner!r} is not one of direct, flink, spark."
            )
        if self.worker_pool not in ("cluster", "step"):
            raise DefinitionError(
                f"Beam worker pool {self.worker_pool!r} must be 'cluster' (a sidecar of the "
                f"Flink/Spark workers) or 'step' (a sidecar of each Beam step)."
            )
        if self.runner == "direct" and self.job_endpoint:
            raise DefinitionError(
                f"A Beam job endpoint ({self.job_endpoint}) needs runner flink or spark; "
                f"the direct runner runs inside the step."
            )
        if self.runner != "direct":
            if not self.endpoint:
                raise DefinitionError(
                    f"Beam runner {self.runner!r} with worker pool 'step' needs the job "
                    f"server's endpoint, e.g. --beam-job-endpoint=localhost:8099 for a job "
                    f"service in the step's pod."
                )
            if self.job_endpoint and not _HOST_PORT.fullmatch(self.job_endpoint):
                raise DefinitionError(
                    f"Beam job endpoint {self.job_endpoint!r} must be HOST:PORT, e.g. "
                    f"flink-job-server:8099 (no scheme)."
                )
        if not 0 < self.worker_pool_port < 65536:
            raise DefinitionError(f"Beam worker pool port {self.worker_pool_port} is not a port.")
        if self.nodes is not None:
            object.__setattr__(self, "nodes", tuple(self.nodes))
        parse_quantity(self.worker_cpu, "Beam worker_cpu")
        parse_quantity(self.worker_memory, "Beam worker_memory")

    @property
    def portable(self) -> bool:
        return self.runner != "direct"

    @property
    def endpoint(self) -> str | None:
        """The job server Beam jobs go to: `job_endpoint`, else (for worker pool `cluster`) the
        overlay's job-server Service. Resolved on use, so changing `runner` alone (a CLI flag
        over a file's options) never keeps the other runner's default endpoint."""
        if self.job_endpoint or not self.portable or self.worker_pool != "cluster":
            return self.job_endpoint
        return cluster.JOB_ENDPOINTS[self.runner]


@dataclass(frozen=True, kw_only=True)
class CompileOptions:
    """Everything the compiler needs besides the IR. The defaults target the cluster that
    `manifests/` sets up (names in `headrace.compiler.cluster`), so a bare compile runs there.

    `pipeline_root`: an object-store URI (gs://, s3://, ...) or an absolute path on the
    PersistentVolumeClaim `root_volume_claim`, mounted at that path in every step. None: the
    IR's root if it is an object-store URI, else `cluster.PIPELINE_ROOT` (an IR path is where
    the pipeline ran on someone's machine, which means nothing in the cluster).
    `metadata`: `mysql://user@host:port/db` (the password comes from `mysql_password_secret`)
    or `grpc://host:port` (Kubeflow's metadata-grpc-service). None: the IR's if it is one of
    those, else `cluster.METADATA_URL` (the base manifests' MySQL).
    """

    image: str | None = None
    gpu_image: str | None = None  # for steps that ask for GPUs; default: `image`
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    image_pull_secrets: tuple[str, ...] = ()  # Secrets holding private-registry credentials
    # Pods on the node's network (scripts/local-cluster.sh: one node, no pod network or DNS).
    host_network: bool = False
    namespace: str | None = cluster.NAMESPACE  # None: the submitter's
    service_account: str | None = cluster.SERVICE_ACCOUNT  # None: the namespace's default
    generate_name: str | None = None  # default: the pipeline's name
    pipeline_root: str | None = None
    # Mounted only for a path root; an object-store root needs none (and naming a claim other
    # than this default next to one is a mistake the compiler reports).
    root_volume_claim: str | None = cluster.PIPELINE_ROOT_CLAIM
    metadata: str | None = None
    mysql_password_secret: SecretRef = SecretRef(
        name=cluster.MYSQL_SECRET, key=cluster.MYSQL_PASSWORD_KEY)
    env: Mapping[str, str] = field(default_factory=dict)  # plain values, never secrets
    secret_env: Mapping[str, SecretRef] = field(default_factory=dict)
    beam: BeamOptions = BeamOptions()
    default_cpu: str = "1"
    default_memory: str = "2Gi"
    retry_limit: int = 3
    retry_backoff: str = "30s"
    # A step killed for memory (exit 137) is retried with its memory limit (and request) times
    # this factor per retry, up to the cap: a multiple of the declared limit ("4x") or a
    # quantity ("16Gi"); "1x" keeps every retry at the declared limit (memory_retry.py).
    memory_retry_factor: float = 2.0
    memory_retry_cap: str = "4x"
    step_timeout_seconds: int | None = 24 * 3600
    workflow_timeout_seconds: int | None = 3 * 24 * 3600
    # Delete a run's pods once it succeeded; a failed run keeps all of them (upstream steps
    # included) for `kubectl logs` and the KFP UI's log tabs.
    pod_gc: PodGCStrategy | None = "OnWorkflowSuccess"
    # KFP shows each step's `mlpipeline-ui-metadata` output artifact; saving it needs an Argo
    # artifact repository (KFP installs have one), so plain Argo installs may turn it off.
    ui_metadata: bool = True
    ui_metadata_path: str = "/tmp/headrace/mlpipeline-ui-metadata.json"
    # Where a container component's driver step writes the output parameters Argo reads back
    # (whether its container step runs, and its resolved arguments).
    driver_outputs_dir: str = "/tmp/headrace/driver"
    enforce_limits: bool = True
    # Split into a parent Workflow and child Workflows of at most this many nodes each (see
    # split.py). None: only when one Workflow object would exceed its 1 MiB (with limits on).
    nodes_per_workflow: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", dict(self.env))
        object.__setattr__(self, "secret_env", dict(self.secret_env))
        object.__setattr__(self, "image_pull_secrets", tuple(self.image_pull_secrets))
        for secret in self.image_pull_secrets:
            if not _DNS_SUBDOMAIN.fullmatch(secret):
                raise DefinitionError(f"Image pull secret {secret!r} is not a Kubernetes name.")
        for name in (*self.env, *self.secret_env):
            if not _ENV_NAME.fullmatch(name):
                raise DefinitionError(f"Environment variable name {name!r} is not valid.")
        for label, value in (("namespace", self.namespace),
                             ("service account", self.service_account),
                             ("root volume claim", self.root_volume_claim)):
            pattern = _DNS_LABEL if label == "namespace" else _DNS_SUBDOMAIN
            if value is not None and not pattern.fullmatch(value):
                raise DefinitionError(
                    f"The {label} {value!r} is not a Kubernetes name (lower-case letters, "
                    f"digits and '-')."
                )
        parse_quantity(self.default_cpu, "default_cpu")
        parse_quantity(self.default_memory, "default_memory")
        if self.retry_limit < 0:
            raise DefinitionError(f"retry_limit={self.retry_limit} must be 0 or more.")
        if not _DURATION.fullmatch(self.retry_backoff):
            raise DefinitionError(
                f"retry_backoff={self.retry_backoff!r} is not a duration like '30s' or '2m'."
            )
        _check_memory_retry(self.memory_retry_factor, self.memory_retry_cap)
        for name in ("step_timeout_seconds", "workflow_timeout_seconds"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value <= 0):
                raise DefinitionError(f"{name}={value!r} must be a positive number of seconds.")
        if self.nodes_per_workflow is not None and (
            isinstance(self.nodes_per_workflow, bool) or self.nodes_per_workflow < 1
        ):
            raise DefinitionError(
                f"nodes_per_workflow={self.nodes_per_workflow!r} must be a whole number of 1 or "
                f"more (or None: split only when one Workflow would be too large)."
            )
        for name in ("ui_metadata_path", "driver_outputs_dir"):
            if not getattr(self, name).startswith("/"):
                raise DefinitionError(f"{name}={getattr(self, name)!r} must be an absolute path.")

    def override(self, **changes: Any) -> CompileOptions:
        """A copy with the given fields replaced; None values are skipped (flags not given), and
        `beam_<field>` keys replace that field of `beam` (`beam_runner="flink"`)."""
        given = {k: v for k, v in changes.items() if v is not None}
        beam = {k[len("beam_"):]: given.pop(k) for k in list(given) if k.startswith("beam_")}
        if beam:
            given["beam"] = dataclasses.replace(given.get("beam", self.beam), **beam)
        return dataclasses.replace(self, **given)


def _check_memory_retry(factor: float, cap: str) -> None:
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 1:
        raise DefinitionError(
            f"--memory-retry-factor={factor!r} (memory_retry_factor) must be a number above 1: "
            f"each retry of a step killed for memory gets its limit times this factor (e.g. 2). "
            f"To keep every retry at the declared limit, pass --memory-retry-cap=1x."
        )
    multiple = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)x", str(cap))
    if multiple:
        if float(multiple.group(1)) < 1:
            raise DefinitionError(
                f"--memory-retry-cap={cap} (memory_retry_cap) is below 1x: a retry would get "
                f"less memory than the declared limit that failed. Use 1x or more (e.g. 4x), "
                f"or a quantity such as 16Gi."
            )
        return
    try:
        parse_quantity(cap)
    except DefinitionError:
        raise DefinitionError(
            f"--memory-retry-cap={cap!r} (memory_retry_cap) is neither a multiple of the "
            f"declared limit such as '4x' nor a memory quantity such as '16Gi'."
        ) from None
