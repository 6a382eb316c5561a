"""The two headrace steps around a container node's own step in a cluster (see
headrace/compiler/container_step.py): the driver runs launch() up to handing the resolved
command over, as files Argo reads back as output parameters; the publisher records the outputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headrace.dsl.container import step_parameters
from headrace.errors import DefinitionError
from headrace.ir import NodeIR, PipelineIR
from headrace.launcher import LaunchResult, launch
from headrace.launcher.container_publish import publish_container
from headrace.launcher.launch import STARTED
from headrace.metadata import Store
from headrace.types.artifact import Artifact

DRIVER, PUBLISHER = "container-driver", "container-publisher"
# The driver's output parameter saying whether the container step runs ("false": a cache hit,
# or done earlier in this run; the step is skipped with Argo's `when`).
EXECUTE = "execute"


@dataclass(frozen=True, kw_only=True)
class HandOff:
    """A ContainerRunner that does not run the command: it writes each resolved item the
    container step takes as a parameter into `directory`, one file per parameter."""

    directory: str

    def run(
        self,
        node: NodeIR,
        command: list[str],
        args: list[str],
        root: str,
        inputs: Mapping[str, list[Artifact]],
    ) -> bool:
        resolved = {"command": command, "args": args}
        values = {name: resolved[f][i] for name, f, i in step_parameters(_spec(node))}
        _write(self.directory, {**values, EXECUTE: "true"})
        return False  # handed over: the container step runs it, the publisher records it


def run_phase(
    phase: str,
    ir: PipelineIR,
    node_id: str,
    *,
    run_id: str,
    store: Store,
    root: str,
    runtime_values: Mapping[str, Any],
    outputs_dir: str | None,
) -> LaunchResult:
    node = ir.node(node_id)
    _spec(node)
    if phase == PUBLISHER:
        return publish_container(ir, node_id, run_id=run_id, store=store, root=root)
    if not outputs_dir:
        raise DefinitionError(f"--phase={DRIVER} needs --driver-outputs=DIR.")
    result = launch(
        ir,
        node_id,
        run_id=run_id,
        store=store,
        root=root,
        runtime_values=runtime_values,
        log=print,
        container_runner=HandOff(directory=outputs_dir),
    )
    if result.outcome != STARTED:
        # Nothing to run. Argo still reads every declared output parameter: write them empty.
        blank = {name: "" for name, _, _ in step_parameters(_spec(node))}
        _write(outputs_dir, {**blank, EXECUTE: "false"})
    return result


def _spec(node: NodeIR) -> Any:
    if node.container is None:
        raise DefinitionError(
            f"Node {node.id!r} is not a container component; only those run in phases."
        )
    return node.container


def _write(directory: str, values: Mapping[str, str]) -> None:
    os.makedirs(directory, exist_ok=True)
    for name, value in values.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(value)
