"""The Argo compiler: PipelineIR -> one Argo Workflow YAML (every node a container step), checked
against cluster limits; plus uploading it to Kubeflow Pipelines or submitting it to Argo."""

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
