"""`headrace replay`: run a compiled Argo Workflow on this machine from its YAML alone, each step
as a process or (`docker=True`) as a container of its image, to debug a workflow before a
cluster sees it. See workflow.py for what of Argo and Kubernetes it reproduces."""

from headrace.replay.model import Attempt, ReplayError, TaskFailed, TaskRun
from headrace.replay.workflow import Replay, run_workflow

__all__ = ["Attempt", "Replay", "ReplayError", "TaskFailed", "TaskRun", "run_workflow"]
