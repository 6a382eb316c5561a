"""The Argo compiler: PipelineIR -> one Argo Workflow YAML (every node a container step of a
template shared by its component configuration), checked against cluster limits, or a parent and
WorkflowTemplate parts past one object's 1 MiB; plus uploading to Kubeflow Pipelines or
submitting to Argo."""

from headrace.compiler.compile import CompiledWorkflow, compile_pipeline, compile_workflow
from headrace.compiler.limits import Measure, WorkflowTooLarge
from headrace.compiler.options import BeamOptions, CompileOptions, SecretRef

__all__ = [
    "BeamOptions",
    "CompileOptions",
    "CompiledWorkflow",
    "Measure",
    "SecretRef",
    "WorkflowTooLarge",
    "compile_pipeline",
    "compile_workflow",
]
