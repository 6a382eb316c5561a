"""The run step: one small task per workflow that records the run's graph (pipeline and run
contexts, the DAG `headrace runs` draws) in ML Metadata, so no node step rebuilds it."""

from __future__ import annotations

from typing import Any

from headrace.compiler.resources import Placement
from headrace.compiler.step import ENTRYPOINT, RUN_ID, Invocation, Shared, Step, _common_env
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR

RUN_TEMPLATE = "headrace-run"
GRAPH_ANNOTATION = "headrace.dev/graph"
GRAPH_ENV = "HEADRACE_GRAPH"
# Argo substitutes workflow annotations into templates: the graph is stored once, on the
# workflow, and only this step's pod receives it.
GRAPH_REFERENCE = "{{workflow.annotations." + GRAPH_ANNOTATION + "}}"
# It imports ml_metadata and writes one context: a fraction of a node step's default.
RUN_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}


def run_invocation(
    ir: PipelineIR, shared: Shared, *, run_id: str = RUN_ID, graph: str = GRAPH_REFERENCE
) -> Invocation:
    """The run step's image, command, args and env, for the Argo template and the KFP v2
    executor alike: `graph` is what its GRAPH_ENV holds (a reference to the workflow's
    annotation in Argo, the packed graph itself in a KFP executor)."""
    options = shared.options
    # Any image a Headrace step runs has Headrace: the pipeline's, else a node's own.
    image = options.image or next(
        (n.image for n in ir.nodes if n.image and n.container is None), None)
    if not image:
        raise DefinitionError(
            f"Pipeline {ir.name!r} has no Headrace image for its run step (which records the "
            f"run's graph); pass --image=IMAGE."
        )
    return Invocation(
        image=image,
        command=list(ENTRYPOINT),
        args=[
            "--phase=run",
            f"--graph-env={GRAPH_ENV}",
            f"--pipeline={ir.name}",
            f"--run-id={run_id}",
            f"--metadata={shared.metadata.url}",
        ],
        env=[
            {"name": GRAPH_ENV, "value": graph},
            *shared.metadata.env,
            *_common_env(options, 0),
        ],
        place=Placement(resources=RUN_RESOURCES, node_selector={}, tolerations=[], gpus=0),
        beam_args=(),
    )


def run_step(ir: PipelineIR, shared: Shared) -> Step:
    """The run step's template and task. No task depends on it: nodes start at once, and it
    writes the graph while they run (recording is idempotent, so a retry is harmless)."""
    options = shared.options
    run = run_invocation(ir, shared)
    container: dict[str, Any] = {"name": "main", "image": run.image}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    container["command"] = run.command
    container["args"] = run.args
    container["env"] = run.env
    container["resources"] = RUN_RESOURCES
    template: dict[str, Any] = {
        "name": RUN_TEMPLATE,
        "metadata": {"annotations": {"pipelines.kubeflow.org/task_display_name": "run graph"}},
    }
    if options.step_timeout_seconds:
        template["activeDeadlineSeconds"] = str(min(options.step_timeout_seconds, 3600))
    if shared.retry:
        template["retryStrategy"] = shared.retry
    template["container"] = container
    return Step(
        node_id="", template=template, task={"name": RUN_TEMPLATE, "template": RUN_TEMPLATE}
    )
