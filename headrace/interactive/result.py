"""ExecutionResult: what `InteractiveContext.run` returns, as text and as a notebook table."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from headrace.dsl.node import Node
from headrace.types.artifact import Artifact


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """One `run` of a component: how it ended and what it produced (TFX's ExecutionResult).

    `outcome` is "executed", "cached" (`reason` says which earlier execution) or "resolved";
    `outputs[key]` are the artifacts of the component's output `key`.
    """

    component: Node
    execution_id: int
    run_id: str
    outcome: str
    reason: str
    seconds: float
    inputs: dict[str, list[Artifact]] = field(default_factory=dict)
    outputs: dict[str, list[Artifact]] = field(default_factory=dict)

    @property
    def node_id(self) -> str:
        return self.component.id

    def __repr__(self) -> str:
        lines = [
            f"ExecutionResult({self.node_id}: {self.outcome}, execution {self.execution_id}, "
            f"run {self.run_id}, {self.seconds:.1f} s)",
            f"  {self.reason}",
        ]
        for key, artifacts in self.outputs.items():
            described = [_describe(a) for a in artifacts] or ["(none)"]
            lines += [f"  .outputs[{key!r}]: {d}" for d in described]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        rows = [
            ("node", f"<b>{e(self.node_id)}</b> ({e(self.component.component.spec.name)})"),
            ("outcome", f"{e(self.outcome)} in {self.seconds:.1f} s: {e(self.reason)}"),
            ("execution", f"{self.execution_id} of run {e(self.run_id)}"),
        ]
        for key, artifacts in self.outputs.items():
            cells = [
                f"{e(type(a).__name__)} (id {a.id}) <code>{e(a.uri)}</code>" for a in artifacts
            ]
            rows.append((f".outputs[{key!r}]", "<br>".join(cells) or "(none)"))
        body = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in rows)
        return f'<table class="headrace-execution-result">{body}</table>'


def _describe(artifact: Artifact) -> str:
    return f"{type(artifact).__name__} (id {artifact.id}) at {artifact.uri}"
