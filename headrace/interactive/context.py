"""InteractiveContext: run components one at a time, in a notebook, recorded in ML Metadata.

Every `run` goes through `launch()`, as a pipeline run does. A component's inputs are the outputs
of the `run` calls of the nodes it is wired to (by object, as the notebook holds them). All runs
go into one MLMD pipeline run until a node runs again (after an edit, say): launch() is
idempotent per (run, node), so that starts a new MLMD run, where the node's cache key (code,
parameters, the content of its module file, input ids) decides whether it executes again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from headrace.dsl.component import Component
from headrace.dsl.node import Channel, Node
from headrace.dsl.pipeline import Pipeline
from headrace.errors import DefinitionError, InputResolutionError
from headrace.interactive.result import ExecutionResult
from headrace.ir import build
from headrace.launcher import launch
from headrace.metadata import default_url, open_store, parse
from headrace.runner import new_run_id
from headrace.types.artifact import Artifact

DEFAULT_PIPELINE_NAME = "interactive"


@dataclass(frozen=True, kw_only=True)
class _Ran:
    node: Node  # kept so that id(node) stays this node's key
    result: ExecutionResult


class InteractiveContext:
    """Run components one by one and look at what they made, as with TFX's InteractiveContext.

    `pipeline_root` is where outputs go (default: a new temporary directory); `metadata` is an ML
    Metadata URL (`sqlite:///path`, `mysql://user@host:port/db`, `grpc://host:port`; default:
    SQLite in the pipeline root). `beam_pipeline_args` apply to every Beam-based component.
    """

    def __init__(
        self,
        pipeline_name: str | None = None,
        pipeline_root: str | None = None,
        metadata: str | None = None,
        *,
        beam_pipeline_args: Iterable[str] = (),
    ) -> None:
        if metadata is not None and not isinstance(metadata, str):
            raise DefinitionError(
                f"InteractiveContext takes an ML Metadata URL (sqlite:///path/metadata.sqlite, "
                f"mysql://user@host:port/db or grpc://host:port), not a "
                f"{type(metadata).__name__}; TFX's connection-config protos are not used here."
            )
        self.pipeline_name = pipeline_name or DEFAULT_PIPELINE_NAME
        notes = []
        if pipeline_root is None:
            pipeline_root = tempfile.mkdtemp(prefix="headrace-interactive-")
            notes.append(f"no pipeline_root given: outputs go to {pipeline_root}")
        self.pipeline_root = os.path.abspath(pipeline_root)
        if metadata is None:
            metadata = default_url(self.pipeline_root)
            notes.append(f"no metadata URL given: ML Metadata in SQLite at {parse(metadata).path}")
        self.metadata = metadata
        self.beam_pipeline_args = tuple(beam_pipeline_args)
        self.store = open_store(metadata)
        if notes:
            print("InteractiveContext: " + "; ".join(notes) + ".")
        self.run_id = new_run_id(self.pipeline_name)
        self.run_ids = [self.run_id]
        self._ran: dict[int, _Ran] = {}  # by id(node): the latest result of each node object
        self._latest_by_id: dict[str, Node] = {}  # node id -> the node object run last
        self._done_in_run: set[str] = set()  # node ids that completed in the current run

    def run(
        self,
        component: Node,
        enable_cache: bool = True,
        beam_pipeline_args: Sequence[str] | None = None,
    ) -> ExecutionResult:
        """Run one component (a node: a component called with its arguments) and record it.

        Its inputs are the outputs of the nodes it is wired to, which must have been run in this
        context. Served from cache when nothing it depends on changed (unless `enable_cache` is
        False). Errors from the component's code are raised as they are.
        """
        node = component
        if not isinstance(node, Node):
            raise DefinitionError(
                f"InteractiveContext.run takes a component called with its arguments (e.g. "
                f"StatisticsGen(examples=...)), got {node!r}."
            )
        upstream = self._upstream_results(node)
        ir = build(
            Pipeline(
                name=self.pipeline_name,
                components=[*_closure(node), node],
                pipeline_root=self.pipeline_root,
                metadata=self.metadata,
                beam_args=self.beam_pipeline_args
                if beam_pipeline_args is None
                else tuple(beam_pipeline_args),
                enable_cache=enable_cache,
            )
        )
        if node.id in self._done_in_run:
            # launch() would hand back this run's earlier result; running again is a new run.
            self.run_id = new_run_id(self.pipeline_name)
            self.run_ids.append(self.run_id)
            self._done_in_run.clear()
        launched = launch(
            ir,
            node.id,
            run_id=self.run_id,
            store=self.store,
            root=self.pipeline_root,
            # A node is made by a Component (dsl/component.py); node.py types it by its spec.
            component=cast(Component, node.component),
            upstream={up_id: r.outputs for up_id, r in upstream.items()},
        )
        self._done_in_run.add(node.id)
        result = ExecutionResult(
            component=node,
            execution_id=launched.execution_id,
            run_id=self.run_id,
            outcome=launched.outcome,
            reason=launched.cache_reason,
            seconds=launched.seconds,
            inputs=launched.inputs,
            outputs=launched.outputs,
        )
        self._ran[id(node)] = _Ran(node=node, result=result)
        self._latest_by_id[node.id] = node
        return result

    def result(self, node: Node) -> ExecutionResult:
        """The latest result of running `node` in this context."""
        ran = self._ran.get(id(node))
        if ran is None:
            raise InputResolutionError(
                f"Node {node.id!r} has not been run in this context{self._other(node)}; "
                f"run it first: context.run(...)."
            )
        return ran.result

    def artifacts(self, channel: Channel) -> list[Artifact]:
        """The artifacts of one output (`node.outputs['key']`) from the node's latest run."""
        if channel.node is None or channel.output is None:
            raise DefinitionError(
                f"{channel!r} is a query, not a node's output; pass <node>.outputs['...']."
            )
        return list(self.result(channel.node).outputs.get(channel.output, []))

    def show(self, item: object) -> None:
        """Render an output (`node.outputs['statistics']`), an artifact, a list of artifacts, a
        node or an ExecutionResult in the notebook: statistics as TFDV's Facets view per split,
        schemas, anomalies and evaluations as tables and plots, other artifacts as their
        properties and files."""
        artifacts = self._artifacts_of(item)  # a wrong argument fails before any import
        from IPython.display import HTML, display

        from headrace.interactive.views import fragments

        for fragment in fragments(artifacts):
            display(HTML(fragment))

    def _artifacts_of(self, item: object) -> list[Artifact]:
        if isinstance(item, Artifact):
            return [item]
        if isinstance(item, Channel):
            return self.artifacts(item)
        if isinstance(item, ExecutionResult):
            return [a for arts in item.outputs.values() for a in arts]
        if isinstance(item, Node):
            return [a for arts in self.result(item).outputs.values() for a in arts]
        if isinstance(item, list | tuple) and all(isinstance(a, Artifact) for a in item):
            return list(item)
        raise DefinitionError(
            f"InteractiveContext.show takes a node's output (node.outputs['...']), an artifact, "
            f"a list of artifacts, a node or an ExecutionResult; got {type(item).__name__}."
        )

    def _upstream_results(self, node: Node) -> dict[str, ExecutionResult]:
        """The latest result of each node `node` is wired to; an error names any not run yet."""
        found: dict[str, ExecutionResult] = {}
        for port, value in node.inputs.items():
            if not isinstance(value, Channel) or value.node is None:
                continue  # build() explains what is wrong with it
            up = value.node
            ran = self._ran.get(id(up))
            if ran is None:
                raise InputResolutionError(
                    f"{node.id}'s input {port!r} comes from {up.id} (defined at "
                    f"{up.defined_at}), which has not been run in this context"
                    f"{self._other(up)}; run it first: context.run(<{up.id} node>)."
                )
            found[up.id] = ran.result
        return found

    def _other(self, node: Node) -> str:
        other = self._latest_by_id.get(node.id)
        if other is None or other is node:
            return ""
        return (
            f" (a different {node.id} node, defined at {other.defined_at}, was run: wire the "
            f"inputs to that node's outputs, or run this one)"
        )

    def __repr__(self) -> str:
        return (
            f"InteractiveContext(pipeline_name={self.pipeline_name!r}, "
            f"pipeline_root={self.pipeline_root!r}, metadata={self.metadata!r}, "
            f"run_id={self.run_id!r})"
        )


def _closure(node: Node) -> list[Node]:
    """Every node `node` depends on, transitively (build() checks that they are all present)."""
    seen: dict[int, Node] = {}
    stack = [node]
    while stack:
        for value in stack.pop().inputs.values():
            up = value.node if isinstance(value, Channel) else None
            if up is not None and id(up) not in seen:
                seen[id(up)] = up
                stack.append(up)
    return list(seen.values())
