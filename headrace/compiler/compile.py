"""`compile_pipeline(ir, options)`: PipelineIR -> one Argo Workflow YAML, checked against limits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from headrace.compiler.advice import warnings_for
from headrace.compiler.limits import OBJECT_LIMIT, Measure, _size, check, measure
from headrace.compiler.options import CompileOptions
from headrace.compiler.split import split_workflow
from headrace.compiler.status import estimate as estimate_status
from headrace.compiler.workflow import build_workflow
from headrace.compiler.yaml_text import dump
from headrace.ir import PipelineIR

# A part is sized to fill at most this share of the 1 MiB, leaving room for what the estimate
# cannot know (longer messages of failed steps, retries beyond the first attempt).
_PART_FILL = 0.7


@dataclass(frozen=True, kw_only=True)
class CompiledWorkflow:
    """The workflow as data and as YAML text, its sizes against the limits, and warnings
    (things that compile but may not work in the cluster) for the CLI to show. A pipeline too
    large for one Workflow object is split (split.py): `documents` then holds the parts'
    WorkflowTemplates and, last, the parent Workflow (`document`); `yaml` holds them all."""

    document: dict[str, Any]
    yaml: str
    measures: tuple[Measure, ...]
    warnings: tuple[str, ...]
    documents: tuple[dict[str, Any], ...] = ()

    @property
    def parts(self) -> int:
        """How many child workflows the pipeline runs as (0: one Workflow)."""
        return len(self.documents) - 1 if self.documents else 0


def compile_workflow(ir: PipelineIR, options: CompileOptions | None = None) -> CompiledWorkflow:
    """Compile `ir`; raises DefinitionError (WorkflowTooLarge for size limits) with the fix."""
    options = options or CompileOptions()
    built = build_workflow(ir, options)
    document = built.document
    documents: tuple[dict[str, Any], ...] = (document,)
    part_size = options.nodes_per_workflow
    status = None
    if part_size is None and options.enforce_limits:
        spec, status = _size(document), estimate_status(document)
        # Argo compresses a large status: one object holds while spec + compressed status fit.
        if spec + status.compressed > OBJECT_LIMIT:
            whole = spec + status.raw  # a part is sized with its status uncompressed
            part_size = max(1, int(len(ir.nodes) * _PART_FILL * OBJECT_LIMIT / whole))
    if part_size is None or part_size >= len(ir.nodes):
        text = dump(document)
        measures = measure(document, len(text.encode()), status)
    else:
        documents = tuple(split_workflow(document, built.task_nodes, ir, options, part_size))
        texts = [dump(d) for d in documents]
        text = "---\n".join(texts)
        size = len(text.encode())  # KFP's upload limit is the file's
        measures = []
        for doc in documents:
            where = f" [{doc['kind']} {doc['metadata'].get('name', 'parent')}]"
            measures += [dataclasses.replace(m, what=m.what + where) for m in measure(doc, size)]
        document = documents[-1]
    if options.enforce_limits:
        check(measures)
    return CompiledWorkflow(
        document=document, yaml=text, measures=tuple(measures),
        warnings=tuple(warnings_for(ir, options)),
        documents=documents if len(documents) > 1 else (),
    )


def compile_pipeline(ir: PipelineIR, options: CompileOptions | None = None) -> str:
    """The workflow YAML for `ir`: same IR and options, byte-identical text."""
    return compile_workflow(ir, options).yaml
