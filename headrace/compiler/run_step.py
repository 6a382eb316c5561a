"""The run step: one small task per workflow that records the run's graph (pipeline and run
contexts, the DAG `headrace runs` draws) in ML Metadata, so no node step rebuilds it."""

from __future__ import annotations

from typing import Any

from headrace.compiler.step import ENTRYPOINT, RUN_ID, Shared, Step, _common_env
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


def run_step(ir: PipelineIR, shared: Shared) -> Step:
    """The run step's template and task. No task depends on it: nodes start at once, and it
    writes the graph while they run (recording is idempotent, so a retry is harmless)."""
    options = shared.options
    # Any image a Headrace step runs has Headrace: the pipeline's, else a node's own.
    image = options.image or next(
        (n.image for n in ir.nodes if n.image and n.container is None), None)
    if not image:
        raise DefinitionError(
            f"Pipeline {ir.name!r} has no Headrace image for its run step (which records the "
            f"run's graph); pass --image=IMAGE."
        )
    container: dict[str, Any] = {"name": "main", "image": image}
    if options.image_pull_policy:
        container["imagePullPolicy"] = options.image_pull_policy
    container["command"] = list(ENTRYPOINT)
    container["args"] = [
        "--phase=run",
        f"--graph-env={GRAPH_ENV}",
        f"--pipeline={ir.name}",
        f"--run-id={RUN_ID}",
        f"--metadata={shared.metadata.url}",
    ]
    container["env"] = [
        {"name": GRAPH_ENV, "value": GRAPH_REFERENCE},
        *shared.metadata.env,
        *_common_env(options, 0),
    ]
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
