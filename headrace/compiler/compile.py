"""`compile_pipeline(ir, options)`: PipelineIR -> one Argo Workflow YAML, checked against limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headrace.compiler.advice import warnings_for
from headrace.compiler.limits import Measure, check, measure
from headrace.compiler.options import CompileOptions
from headrace.compiler.workflow import build_workflow
from headrace.compiler.yaml_text import dump
from headrace.ir import PipelineIR


@dataclass(frozen=True, kw_only=True)
class CompiledWorkflow:
    """The workflow as data and as YAML text, its sizes against the limits, and warnings
    (things that compile but may not work in the cluster) for the CLI to show."""

    document: dict[str, Any]
    yaml: str
    measures: tuple[Measure, ...]
    warnings: tuple[str, ...]


def compile_workflow(ir: PipelineIR, options: CompileOptions | None = None) -> CompiledWorkflow:
    """Compile `ir`; raises DefinitionError (WorkflowTooLarge for size limits) with the fix."""
    options = options or CompileOptions()
    ir_json = ir.to_json()
    document = build_workflow(ir, ir_json, options)
    text = dump(document)
    measures = measure(document, ir, ir_json, len(text.encode()))
    if options.enforce_limits:
        check(measures)
    return CompiledWorkflow(
        document=document, yaml=text, measures=tuple(measures),
        warnings=tuple(warnings_for(ir, options)),
    )


def compile_pipeline(ir: PipelineIR, options: CompileOptions | None = None) -> str:
    """The workflow YAML for `ir`: same IR and options, byte-identical text."""
    return compile_workflow(ir, options).yaml
