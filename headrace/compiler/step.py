"""One node as one container step: the template (image, command/args for the entrypoint, env by
reference, resources, placement, retries, timeout, KFP UI output) and its DAG task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from headrace.compiler import beam as beam_mod
from headrace.compiler import memory_retry
from headrace.compiler.names import k8s_name
from headrace.compiler.options import CompileOptions
from headrace.compiler.resources import Placement, placement
from headrace.compiler.storage import Metadata, Root
from headrace.errors import DefinitionError
from headrace.ir import NodeIR, PipelineIR, definition_json, instance_json

# headrace.launcher.exit_codes.RETRYABLE (infra error, OOM-killed, terminated). Importing the
# launcher package loads ml_metadata, which `headrace compile` must not pay for; a test keeps
# the two equal.
RETRYABLE_EXIT_CODES = (20, 137, 143)

RUN_ID = "{{workflow.name}}"
ENTRYPOINT = ["python", "-m", "headrace.entrypoint"]
UI_METADATA_ARTIFACT = "mlpipeline-ui-metadata"
NODE_LABEL = "headrace.dev/node"
COMPONENT_LABEL = "headrace.dev/component"
# The template's one input: the node instance (id, parameters, input producers) as JSON, which
# the DAG task passes; everything else in the template is shared by the nodes that use it.
NODE_PARAMETER = "node"
NODE_REFERENCE = "{{inputs.parameters." + NODE_PARAMETER + "}}"


@dataclass(frozen=True, kw_only=True)
class Refs:
    """How a step's command refers to what its orchestrator fills in at run time: the run's id,
    the node instance (passed by each task to the step its configuration shares), a runtime
    parameter's value."""

    run_id: str
    instance: str  # the reference the orchestrator replaces with the task's node instance JSON
    runtime_param: Callable[[str, str], str]  # (name, type_name) -> one `--flag=value` arg
    ui_metadata: bool = True  # Argo saves the KFP v1 UI file; KFP v2 has no such output


ARGO_REFS = Refs(
    run_id=RUN_ID,
    instance=NODE_REFERENCE,
    runtime_param=lambda name, _type: f"--runtime-param={name}={{{{workflow.parameters.{name}}}}}",
)


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """What runs one node, whatever orchestrates it: image, entrypoint command and args, env
    (plain values and Secret references), resources and placement, effective Beam args."""

    image: str
    command: list[str]
    args: list[str]
    env: list[dict[str, Any]]
    place: Placement
    beam_args: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Step:
    """A node's compiled parts: its container template and the DAG task that runs it. A
    template without a name is shared: nodes whose templates are equal get one (workflow.py
    names it and sets each task's `template`)."""

    node_id: str
    template: dict[str, Any]
    task: dict[str, Any]
    shareable: bool = False
    key: str = ""  # equal for steps whose (shareable) templates are equal


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every step of one workflow shares, computed once per compile."""

    ir: PipelineIR
    options: CompileOptions
    root: Root
    metadata: Metadata
    names: dict[str, str]  # node id (and "<id> driver", "<id> publish") -> template/task name
    retry: dict[str, Any] | None
    # Templates built so far, by configuration key: 10,000 nodes of one component build one.
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def done_task(self, node_id: str) -> str:
        """The task whose end means the node's outputs are published: what downstream tasks
        wait for (a container node's publisher, see container_step.py)."""
        return self.names.get(f"{node_id} publish", self.names[node_id])


def retry_strategy(options: CompileOptions) -> dict[str, Any] | None:
    """Retry only what a retry can fix: exit codes that mean infrastructure trouble, and pods
    that ended in Error (evicted, node lost); a user error (exit 10) fails at once."""
    if options.retry_limit == 0:
        return None
    codes = ", ".join(str(c) for c in RETRYABLE_EXIT_CODES)
    return {
        "limit": str(options.retry_limit),
        "retryPolicy": "Always",
        "expression": f'lastRetry.status == "Error" or asInt(lastRetry.exitCode) in [{codes}]',
        "backoff": {"duration": options.retry_backoff, "factor": "2", "maxDuration": "1h"},
    }


def node_invocation(node: NodeIR, shared: Shared, refs: Refs = ARGO_REFS) -> Invocation:
    """The one place a node's container command, args and env are decided; the Argo template
    and the KFP v2 executor (kfp_v2.py) both take theirs from here. They depend on the node's
    configuration only (its component definition); the node instance arrives through
    `refs.instance`, so nodes of one configuration share them."""
    options = shared.options
    place = placement(node, default_cpu=options.default_cpu, default_memory=options.default_memory)
    beam_args = beam_mod.node_beam_args(shared.ir, node, options.beam, shared.root)
    return Invocation(
        image=_image(node, options, place.gpus),
        command=list(ENTRYPOINT),
        args=_args(node, shared, beam_args, refs),
        env=[*shared.metadata.env, *_common_env(options, place.gpus)],
        place=place,
        beam_args=beam_args,
    )


def configuration_key(node: NodeIR, shared: Shared) -> str:
    """What the node's template depends on, as text: everything of the node but its id,
    parameter values, input producers and call site (which travel in its instance)."""
    return repr((
        node.component, node.code_hash, node.executor, node.kind, node.image, node.resources,
        node.beam, node.beam_args, beam_mod.uses_beam(node, shared.options.beam),
        node.file_parameters, node.outputs, node.container,
        [(i.name, i.type_name, i.optional) for i in node.inputs],
        sorted({p.runtime for p in node.parameters if p.runtime}),
    ))


def build_step(node: NodeIR, shared: Shared) -> Step:
    """The node's template (without a name: nodes of one configuration share it) and its task,
    which passes the node instance."""
    key = configuration_key(node, shared)
    template = shared.templates.get(key)
    if template is None:
        template = shared.templates[key] = _template(node, shared)
    task: dict[str, Any] = {"name": shared.names[node.id]}
    if node.upstream:
        task["dependencies"] = [shared.done_task(u) for u in node.upstream]
    task["arguments"] = {"parameters": [{"name": NODE_PARAMETER, "value": instance_json(node)}]}
    return Step(node_id=node.id, template=template, task=task, shareable=True, key=key)


def _template(node: NodeIR, shared: Shared) -> dict[str, Any]:
    options = shared.options
    run = node_invocation(node, shared)
    place, image, beam_args = run.place, run.image, run.beam_args
    mounts = [shared.root.mount] if shared.root.mount else []

    container: dict[str, Any] = {"name": "main", "image": image}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    container["command"] = run.command
    container["args"] = run.args
    container["env"] = [*run.env, *memory_retry.attempt_env(retries=bool(shared.retry))]
    container["resources"] = place.resources
    if mounts:
        container["volumeMounts"] = mounts

    template: dict[str, Any] = {
        "metadata": {"labels": {COMPONENT_LABEL: k8s_name(node.component)}},
        "inputs": {"parameters": [{"name": NODE_PARAMETER}]},
    }
    if place.node_selector:
        template["nodeSelector"] = place.node_selector
    if place.tolerations:
        template["tolerations"] = place.tolerations
    if options.step_timeout_seconds:
        template["activeDeadlineSeconds"] = str(options.step_timeout_seconds)
    if shared.retry:
        template["retryStrategy"] = shared.retry
        patch = memory_patch(node, place, options)
        if patch:
            template["podSpecPatch"] = patch
    template["container"] = container
    if beam_mod.needs_worker_sidecar(beam_args, options.beam):
        template["sidecars"] = [beam_mod.worker_sidecar(
            # The pool requests no GPU; an empty NVIDIA_VISIBLE_DEVICES keeps CUDA images (which
            # default it to "all") from handing it the GPUs of the step's main container.
            image=image, beam=options.beam, env=_common_env(options, gpus=0), mounts=mounts,
            pull_policy=options.image_pull_policy,
        )]
    if options.ui_metadata:
        template["outputs"] = {"artifacts": [
            {"name": UI_METADATA_ARTIFACT, "path": options.ui_metadata_path, "optional": True}
        ]}

    return template


def memory_patch(node: NodeIR, place: Placement, options: CompileOptions) -> str | None:
    """The podSpecPatch that gives each retry of the node's step more memory (memory_retry.py),
    or None if no retry would get more."""
    ladder = memory_retry.memory_ladder(
        place.resources["requests"]["memory"],
        place.resources["limits"]["memory"],
        options,
        where=f"Node {node.id!r} ({node.component}, defined at {node.defined_at})",
    )
    return memory_retry.pod_spec_patch(ladder)


def _image(node: NodeIR, options: CompileOptions, gpus: int) -> str:
    image = node.image or (options.gpu_image if gpus and options.gpu_image else options.image)
    if not image:
        raise DefinitionError(
            f"Node {node.id!r} ({node.component}) has no container image; pass --image=IMAGE "
            f"(and --gpu-image=IMAGE for GPU steps) or set one with .with_image('...')."
        )
    return image


def _args(
    node: NodeIR, shared: Shared, beam_args: tuple[str, ...], refs: Refs = ARGO_REFS
) -> list[str]:
    # One token per flag (`--flag=value`): a value that starts with '-' (a Beam flag, a
    # negative number) would otherwise be parsed by the entrypoint as a flag of its own.
    args = [
        f"--definition={definition_json(shared.ir, node)}",
        f"--instance={refs.instance}",
        f"--run-id={refs.run_id}",
        f"--root={shared.root.path}",
        f"--metadata={shared.metadata.url}",
    ]
    types = {p.name: p.type_name for p in shared.ir.runtime_parameters}
    for runtime in sorted({p.runtime for p in node.parameters if p.runtime}):
        args.append(refs.runtime_param(runtime, types.get(runtime, "str")))
    args += [f"--beam-arg={arg}" for arg in beam_args]
    if shared.options.ui_metadata and refs.ui_metadata:
        args.append(f"--ui-metadata={shared.options.ui_metadata_path}")
    return args


def _common_env(options: CompileOptions, gpus: int) -> list[dict[str, Any]]:
    """Env for the main container and any sidecar: plain values, Secret references, and on CPU
    steps an empty NVIDIA_VISIBLE_DEVICES so the NVIDIA runtime exposes no GPU to them."""
    env: list[dict[str, Any]] = []
    if not gpus:
        env.append({"name": "NVIDIA_VISIBLE_DEVICES", "value": ""})
    env += [{"name": k, "value": v} for k, v in sorted(options.env.items())]
    env += [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}
        for k, ref in sorted(options.secret_env.items())
    ]
    return env
