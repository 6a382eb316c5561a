"""The metadata store facade: the only code that talks to ML Metadata.

Contexts: `pipeline` (name), `pipeline_run` (run id), `node` (`<pipeline>.<node id>`); every
execution is attributed to all three, every artifact to the pipeline and run. All calls are
serialised by a lock (so threads can share one store) and retried on transient errors.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from ml_metadata import errors as mlmd_errors
from ml_metadata.metadata_store import metadata_store as ms
from ml_metadata.proto import metadata_store_pb2 as mlmd

from headrace.errors import MetadataError
from headrace.metadata import convert
from headrace.metadata.records import (
    CACHED,
    COMPLETE,
    RUNNING,
    ExecutionRecord,
    GraphNode,
    NodeExecution,
    RunRecord,
)
from headrace.metadata.retry import is_connection_lost, retry_seconds, retrying
from headrace.metadata.urls import MetadataUrl
from headrace.types.artifact import Artifact

T = TypeVar("T")
PIPELINE, RUN, NODE = "pipeline", "pipeline_run", "node"
_EXECUTION_PROPERTIES = ("pipeline", "run_id", "node_id", "cache_key")
_STATE = mlmd.Execution.State
# The custom property that makes an execution write idempotent under retries (_put_execution).
WRITE_TOKEN = "write_token"
Outputs = Mapping[str, list[Artifact]]


class Store:
    """ML Metadata for pipelines, runs and node executions."""

    def __init__(
        self,
        raw: ms.MetadataStore,
        url: MetadataUrl,
        reopen: Callable[[], ms.MetadataStore] | None = None,
    ) -> None:
        self._raw = raw
        self.url = url
        # Makes a new connection after the old one was lost (MySQL). MLMD 1.16 crashes the
        # process (SIGSEGV) when a MetadataStore whose reconnect failed is used again, so a
        # lost connection is never retried on the same object.
        self._reopen = reopen
        self._stale = False
        self._lock = threading.RLock()
        self._type_ids: dict[tuple[str, str], int] = {}
        self._contexts: dict[tuple[str, str], mlmd.Context] = {}

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            if self._stale and self._reopen is not None:
                self._raw = self._reopen()  # fails (and is retried) while the server is down
                self._stale = False
            try:
                return fn()
            except Exception as exc:
                if self._reopen is not None and is_connection_lost(exc):
                    self._stale = True
                raise

        with self._lock:
            try:
                # A server restarted under a running step is waited for; see retry.py for how
                # long. Every closure reads self._raw when called, so a retry uses the new one.
                return retrying(attempt, seconds=retry_seconds(), reconnecting=True)
            except mlmd_errors.StatusError as exc:
                if "readonly database" in str(exc):
                    # MLMD's text is the failed SQL with a protobuf dump: say what it means.
                    raise MetadataError(
                        f"The metadata store {self.url} is read-only ({what} needs to write "
                        f"it): its file or directory is on a read-only mount or not writable "
                        f"by this user. Its records are intact and readable (`headrace runs "
                        f"list`); to run, give a writable --root or --metadata."
                    ) from exc
                raise MetadataError(f"Metadata store {self.url}: {what} failed: {exc}") from exc

    # --- types and contexts: get-or-create, safe when many processes do it at once ----------

    def _ensure(self, get: Callable[[], T | None], put: Callable[[], T]) -> T:
        found = get()
        if found is not None:
            return found
        try:
            return put()
        except mlmd_errors.AlreadyExistsError:
            # Another process created it between our get and put: theirs is as good as ours.
            found = get()
            if found is None:
                raise
            return found

    def _type_id(self, kind: str, name: str, make: Callable[[], Any]) -> int:
        key = (kind, name)
        if key not in self._type_ids:

            def lookup() -> int | None:
                try:
                    return getattr(self._raw, f"get_{kind}_type")(name).id
                except mlmd_errors.NotFoundError:
                    return None

            def put() -> int:
                return getattr(self._raw, f"put_{kind}_type")(make(), can_add_fields=True)

            self._type_ids[key] = self._call(
                f"registering {kind} type {name!r}", lambda: self._ensure(lookup, put)
            )
        return self._type_ids[key]

    def _artifact_type_id(self, cls: type[Artifact]) -> int:
        return self._type_id("artifact", cls.TYPE_NAME, lambda: convert.artifact_type(cls))

    def _execution_type_id(self, component: str) -> int:
        def make() -> mlmd.ExecutionType:
            proto = mlmd.ExecutionType(name=component)
            for p in _EXECUTION_PROPERTIES:
                proto.properties[p] = mlmd.STRING
            return proto

        return self._type_id("execution", component, make)

    def _context(self, kind: str, name: str, pipeline: str = "") -> mlmd.Context:
        key = (kind, name)
        if key not in self._contexts:

            def make_type() -> mlmd.ContextType:
                proto = mlmd.ContextType(name=kind)
                proto.properties["pipeline"] = mlmd.STRING
                return proto

            type_id = self._type_id("context", kind, make_type)

            def put() -> mlmd.Context:
                context = mlmd.Context(type_id=type_id, name=name)
                context.properties["pipeline"].string_value = pipeline
                [context.id] = self._raw.put_contexts([context])
                return context

            self._contexts[key] = self._call(
                f"registering {kind} context {name!r}",
                lambda: self._ensure(
                    lambda: self._raw.get_context_by_type_and_name(kind, name), put
                ),
            )
        return self._contexts[key]

    def _run_contexts(self, pipeline: str, run_id: str, node_id: str) -> list[mlmd.Context]:
        return [
            self._context(PIPELINE, pipeline, pipeline),
            self._context(RUN, run_id, pipeline),
            self._context(NODE, f"{pipeline}.{node_id}", pipeline),
        ]

    # --- writing executions ------------------------------------------------------------------

    def start_execution(
        self,
        who: NodeExecution,
        inputs: Outputs,
        reason: str = "",
        parts: Mapping[str, str] | None = None,
        attempt: Mapping[str, int] | None = None,
    ) -> int:
        """Record a RUNNING execution with its input events, why the cache did not serve it,
        the digests of its cache key's parts and what its attempt had (`attempt`: custom int
        properties such as `attempt` and `memory_limit`, bytes); returns its id."""
        execution = self._new_execution(who, RUNNING, reason)
        for name, value in (attempt or {}).items():
            # MLMD's MySQL schema keeps int_value in a 32-bit INT column: a memory limit of 2Gi
            # or more is refused there ("Out of range value"), so large ones go as text.
            if -(2**31) <= int(value) < 2**31:
                execution.custom_properties[name].int_value = int(value)
            else:
                execution.custom_properties[name].string_value = str(int(value))
        if parts:
            execution.custom_properties["cache_parts"].string_value = json.dumps(
                dict(parts), sort_keys=True
            )
        return self._put_execution("starting", execution, inputs, {}, who)

    def publish(
        self, execution_id: int, outputs: Outputs, summary_uri: str = ""
    ) -> dict[str, list[Artifact]]:
        """Record the outputs (and the node's HTML summary, if written) and mark the execution
        COMPLETE, in one transaction.

        Idempotent: publishing an execution that is already COMPLETE returns what it published.
        """
        [execution] = self._call(
            "reading an execution", lambda: self._raw.get_executions_by_id([execution_id])
        )
        if execution.last_known_state != _STATE.COMPLETE:
            props = {k: v.string_value for k, v in execution.properties.items()}
            who = NodeExecution(
                pipeline=props["pipeline"],
                run_id=props["run_id"],
                node_id=props["node_id"],
                component=execution.type,
            )
            execution.last_known_state = _STATE.COMPLETE
            if summary_uri:
                execution.custom_properties["summary_uri"].string_value = summary_uri
            self._put_execution("publishing", execution, {}, outputs, who)
        return self._artifacts_by_event([execution_id])[execution_id][1]

    def record_reused(
        self,
        who: NodeExecution,
        inputs: Outputs,
        outputs: Outputs,
        cached_from: int | None,
        reason: str = "",
        summary_uri: str = "",
    ) -> int:
        """Record a CACHED execution whose outputs are existing artifacts (from the execution
        `cached_from`, or found by a resolver when that is None), why they were reused, and
        the HTML summary that shows them (the reused execution's)."""
        execution = self._new_execution(who, CACHED, reason)
        if cached_from is not None:
            execution.custom_properties["cached_from"].int_value = cached_from
        if summary_uri:
            execution.custom_properties["summary_uri"].string_value = summary_uri
        return self._put_execution("recording reused outputs", execution, inputs, outputs, who)

    def set_summary_uri(self, execution_id: int, summary_uri: str) -> None:
        """Record where the HTML summary of an execution is (custom property `summary_uri`)."""

        def put() -> None:
            [execution] = self._raw.get_executions_by_id([execution_id])
            execution.custom_properties["summary_uri"].string_value = summary_uri
            self._raw.put_executions([execution])

        self._call(f"recording the summary of execution {execution_id}", put)

    def heartbeat(self, execution_id: int) -> bool:
        """Touch a RUNNING execution (MLMD stamps its last-update time), so that another run
        waiting on the same cache key knows its process lives. False once it is not RUNNING."""

        def put() -> bool:
            [execution] = self._raw.get_executions_by_id([execution_id])
            if execution.last_known_state != _STATE.RUNNING:
                return False
            beats = execution.custom_properties["heartbeats"]
            beats.int_value += 1
            self._raw.put_executions([execution])
            return True

        return self._call(f"recording that execution {execution_id} still runs", put)

    def mark_reused(
        self,
        execution_id: int,
        outputs: Outputs,
        cached_from: int,
        reason: str,
        summary_uri: str = "",
    ) -> None:
        """Turn a RUNNING execution that waited for another one with its cache key into a
        CACHED execution of that one's outputs (its input events stay)."""
        [execution] = self._call(
            "reading an execution", lambda: self._raw.get_executions_by_id([execution_id])
        )
        if execution.last_known_state != _STATE.RUNNING:
            return
        props = {k: v.string_value for k, v in execution.properties.items()}
        who = NodeExecution(
            pipeline=props["pipeline"],
            run_id=props["run_id"],
            node_id=props["node_id"],
            component=execution.type,
        )
        execution.last_known_state = _STATE.CACHED
        execution.custom_properties["cached_from"].int_value = cached_from
        execution.custom_properties["cache_reason"].string_value = reason
        if summary_uri:
            execution.custom_properties["summary_uri"].string_value = summary_uri
        self._put_execution("recording reused outputs", execution, {}, outputs, who)

    def finish(
        self, execution_id: int, state: str, error: str = "", exit_code: int | None = None
    ) -> None:
        """Mark an execution FAILED or CANCELED, with the reason (and its process's exit code,
        when known: a retried step learns the one of the attempt before)."""

        def put() -> None:
            [execution] = self._raw.get_executions_by_id([execution_id])
            execution.last_known_state = _STATE.Value(state)
            if error:
                execution.custom_properties["error"].string_value = error[-4000:]
            if exit_code is not None:
                execution.custom_properties["exit_code"].int_value = exit_code
            self._raw.put_executions([execution])

        self._call(f"marking execution {execution_id} {state}", put)

    def _new_execution(self, who: NodeExecution, state: str, reason: str = "") -> mlmd.Execution:
        execution = mlmd.Execution(
            type_id=self._execution_type_id(who.component), last_known_state=_STATE.Value(state)
        )
        values = (who.pipeline, who.run_id, who.node_id, who.cache_key)
        for name, value in zip(_EXECUTION_PROPERTIES, values, strict=True):
            execution.properties[name].string_value = value
        if reason:
            execution.custom_properties["cache_reason"].string_value = reason
        return execution

    # --- the run's graph ---------------------------------------------------------------------

    def record_run_graph(self, pipeline: str, run_id: str, graph: Sequence[GraphNode]) -> None:
        """Keep the run's DAG (nodes and their upstream nodes) as the custom property `graph`
        (JSON) of its pipeline-run context: MLMD's events only link nodes that ran, and a report
        must also draw the nodes a failure kept from running. Writes only when it changed, so
        the many steps of a compiled run that each record it cost one read apiece."""
        text = json.dumps(
            [
                {"id": n.id, "component": n.component, "upstream": list(n.upstream), "kind": n.kind}
                for n in graph
            ],
            separators=(",", ":"),
        )
        self._context(RUN, run_id, pipeline)  # get or create

        def put() -> None:
            context = self._raw.get_context_by_type_and_name(RUN, run_id)
            if _custom(context, "graph") == text:
                return
            context.custom_properties["graph"].string_value = text
            self._raw.put_contexts([context])

        self._call(f"recording the graph of run {run_id!r}", put)

    def _put_execution(
        self,
        what: str,
        execution: mlmd.Execution,
        inputs: Outputs,
        outputs: Outputs,
        who: NodeExecution,
    ) -> int:
        contexts = self._run_contexts(who.pipeline, who.run_id, who.node_id)
        # An artifact already recorded goes in as MLMD holds it, never re-converted: a process
        # that has not imported its class (an isolated node, a cluster step) would turn its
        # typed properties into custom ones, and a later writer would then drop them.
        known = {a.id for ports in (inputs, outputs) for arts in ports.values() for a in arts}
        stored = self._recorded_artifacts({i for i in known if i is not None})
        pairs = []
        seen: set[tuple[int, int | None]] = set()
        for event_type, ports in ((mlmd.Event.INPUT, inputs), (mlmd.Event.OUTPUT, outputs)):
            for port, artifacts in sorted(ports.items()):
                for index, artifact in enumerate(artifacts):
                    # MLMD keeps one event per (artifact, execution, type): an artifact fed to
                    # two ports is recorded under the first.
                    if artifact.id is not None and (event_type, artifact.id) in seen:
                        continue
                    seen.add((event_type, artifact.id))
                    event = mlmd.Event(type=event_type)
                    event.path.steps.add().key = port
                    event.path.steps.add().index = index
                    if artifact.id in stored:
                        pairs.append((stored[artifact.id], event))
                        continue
                    type_id = self._artifact_type_id(type(artifact))
                    pairs.append((convert.to_proto(artifact, type_id), event))
        # A connection lost while MySQL commits leaves us not knowing whether the write
        # happened. Each write carries a fresh token, and a retry first looks for it: a
        # committed write is never made twice (no second RUNNING execution, no artifact
        # published twice).
        token = secrets.token_hex(8)
        execution.custom_properties[WRITE_TOKEN].string_value = token
        tries = 0

        def put() -> int:
            nonlocal tries
            tries += 1
            if tries > 1:
                written = self._raw.get_executions(
                    ms.ListOptions(
                        filter_query=f"custom_properties.{WRITE_TOKEN}.string_value = {_q(token)}"
                    )
                )
                if written:
                    return int(written[0].id)
            # force_reuse_context: attribute to the contexts without rewriting them from this
            # process's cached copies (which would drop a run graph recorded since).
            execution_id, _, _ = self._raw.put_execution(
                execution, pairs, contexts, force_reuse_context=True
            )
            return int(execution_id)

        return self._call(f"{what} execution of node {who.node_id!r}", put)

    def _recorded_artifacts(self, ids: set[int]) -> dict[int, mlmd.Artifact]:
        if not ids:
            return {}
        found = self._call(
            "reading recorded artifacts", lambda: self._raw.get_artifacts_by_id(sorted(ids))
        )
        return {proto.id: proto for proto in found}

    # --- reading -----------------------------------------------------------------------------

    def find_cached(self, pipeline: str, component: str, cache_key: str) -> list[ExecutionRecord]:
        """COMPLETE executions of this pipeline with this cache key, newest first."""
        query = (
            f"contexts_a.type = '{PIPELINE}' AND contexts_a.name = {_q(pipeline)} AND "
            f"properties.cache_key.string_value = {_q(cache_key)} AND last_known_state = COMPLETE"
        )
        options = ms.ListOptions(order_by=ms.OrderByField.ID, is_asc=False, filter_query=query)
        found = self._call("looking up the cache", lambda: self._raw.get_executions(options))
        return self._records(e for e in found if e.type == component)

    def latest_complete(self, pipeline: str, node_id: str) -> ExecutionRecord | None:
        """The newest COMPLETE execution of a node of this pipeline, in any run."""
        query = (
            f"contexts_a.type = '{PIPELINE}' AND contexts_a.name = {_q(pipeline)} AND "
            f"properties.node_id.string_value = {_q(node_id)} AND last_known_state = COMPLETE"
        )
        options = ms.ListOptions(
            order_by=ms.OrderByField.ID, is_asc=False, filter_query=query, limit=1
        )
        found = self._call("reading the last execution", lambda: self._raw.get_executions(options))
        records = self._records(found)
        return records[0] if records else None

    def find_running(self, pipeline: str, component: str, cache_key: str) -> list[ExecutionRecord]:
        """RUNNING executions of this pipeline with this cache key (any run), oldest first."""
        query = (
            f"contexts_a.type = '{PIPELINE}' AND contexts_a.name = {_q(pipeline)} AND "
            f"properties.cache_key.string_value = {_q(cache_key)} AND last_known_state = RUNNING"
        )
        options = ms.ListOptions(order_by=ms.OrderByField.ID, is_asc=True, filter_query=query)
        found = self._call(
            "looking for executions in flight", lambda: self._raw.get_executions(options)
        )
        # Without their artifacts: a waiter polls this, and only needs ids and times.
        return [r for r in self._records(found, with_artifacts=False) if r.component == component]

    def artifacts_of_type(self, pipeline: str, type_name: str) -> list[Artifact]:
        """LIVE artifacts of a type recorded by this pipeline (in any run), newest first."""
        query = (
            f"type = {_q(type_name)} AND contexts_a.type = '{PIPELINE}' AND "
            f"contexts_a.name = {_q(pipeline)} AND state = LIVE"
        )
        options = ms.ListOptions(order_by=ms.OrderByField.ID, is_asc=False, filter_query=query)
        found = self._call(
            f"looking up {type_name} artifacts", lambda: self._raw.get_artifacts(options)
        )
        return [convert.from_proto(a, a.type) for a in found]

    def node_result(self, pipeline: str, run_id: str, node_id: str) -> ExecutionRecord | None:
        """The latest COMPLETE or CACHED execution of a node in a run, with its artifacts."""
        done = [
            e
            for e in self.run_executions(pipeline, run_id, node_id)
            if e.state in (COMPLETE, CACHED)
        ]
        return done[-1] if done else None

    def run_executions(
        self, pipeline: str, run_id: str, node_id: str | None = None
    ) -> list[ExecutionRecord]:
        """Executions of a run (optionally of one node), oldest first, with their artifacts."""
        query = f"contexts_a.type = '{RUN}' AND contexts_a.name = {_q(run_id)}"
        query += f" AND properties.pipeline.string_value = {_q(pipeline)}"
        if node_id is not None:
            query += f" AND properties.node_id.string_value = {_q(node_id)}"
        options = ms.ListOptions(order_by=ms.OrderByField.ID, is_asc=True, filter_query=query)
        found = self._call(f"reading run {run_id!r}", lambda: self._raw.get_executions(options))
        return self._records(found)

    def list_runs(self, pipeline: str | None = None) -> list[RunRecord]:
        """Runs, newest first; of one pipeline if given."""
        contexts = self._call("listing runs", lambda: self._raw.get_contexts_by_type(RUN))
        runs = [
            RunRecord(
                run_id=c.name,
                pipeline=c.properties["pipeline"].string_value,
                created_ms=c.create_time_since_epoch,
            )
            for c in contexts
        ]
        runs = [r for r in runs if pipeline is None or r.pipeline == pipeline]
        return sorted(runs, key=lambda r: (r.created_ms, r.run_id), reverse=True)

    def get_run(self, run_id: str) -> RunRecord | None:
        context = self._call(
            f"reading run {run_id!r}", lambda: self._raw.get_context_by_type_and_name(RUN, run_id)
        )
        if context is None:
            return None
        pipeline = context.properties["pipeline"].string_value
        graph = json.loads(_custom(context, "graph") or "[]")
        return RunRecord(
            run_id=run_id,
            pipeline=pipeline,
            created_ms=context.create_time_since_epoch,
            executions=tuple(self.run_executions(pipeline, run_id)),
            graph=tuple(
                GraphNode(
                    id=n["id"],
                    component=n["component"],
                    upstream=tuple(n["upstream"]),
                    kind=n.get("kind", "component"),
                )
                for n in graph
            ),
        )

    def _records(
        self, executions: Iterable[mlmd.Execution], with_artifacts: bool = True
    ) -> list[ExecutionRecord]:
        executions = list(executions)
        if not executions:
            return []
        artifacts = self._artifacts_by_event([e.id for e in executions]) if with_artifacts else {}
        records = []
        for e in executions:
            props = {k: v.string_value for k, v in e.properties.items()}
            inputs, outputs = artifacts.get(e.id, ({}, {}))
            records.append(
                ExecutionRecord(
                    id=e.id,
                    pipeline=props.get("pipeline", ""),
                    run_id=props.get("run_id", ""),
                    node_id=props.get("node_id", ""),
                    component=e.type,
                    state=_STATE.Name(e.last_known_state),
                    cache_key=props.get("cache_key", ""),
                    started_ms=e.create_time_since_epoch,
                    updated_ms=e.last_update_time_since_epoch,
                    error=e.custom_properties["error"].string_value
                    if "error" in e.custom_properties
                    else "",
                    cached_from=e.custom_properties["cached_from"].int_value
                    if "cached_from" in e.custom_properties
                    else None,
                    cache_reason=_custom(e, "cache_reason"),
                    summary_uri=_custom(e, "summary_uri"),
                    cache_parts=json.loads(_custom(e, "cache_parts") or "{}"),
                    attempt=_int(e, "attempt"),
                    memory_limit=_int(e, "memory_limit"),
                    exit_code=_int(e, "exit_code"),
                    inputs=inputs,
                    outputs=outputs,
                )
            )
        return records

    def _artifacts_by_event(
        self, execution_ids: list[int]
    ) -> dict[int, tuple[dict[str, list[Artifact]], dict[str, list[Artifact]]]]:
        """For each execution: (inputs, outputs) by port, in event-index order."""

        def read() -> tuple[list[mlmd.Event], dict[int, mlmd.Artifact]]:
            events = self._raw.get_events_by_execution_ids(execution_ids)
            ids = sorted({e.artifact_id for e in events})
            return events, {a.id: a for a in self._raw.get_artifacts_by_id(ids)}

        events, by_id = self._call("reading artifacts", read)
        result: dict[int, tuple[dict[str, list[Artifact]], dict[str, list[Artifact]]]] = {}
        for event in sorted(events, key=lambda e: (e.execution_id, e.path.steps[1].index)):
            side = {mlmd.Event.INPUT: 0, mlmd.Event.OUTPUT: 1}.get(event.type)
            if side is None or event.artifact_id not in by_id:
                continue
            proto = by_id[event.artifact_id]
            port = event.path.steps[0].key
            ports = result.setdefault(event.execution_id, ({}, {}))[side]
            ports.setdefault(port, []).append(convert.from_proto(proto, proto.type))
        return result


def _custom(node: Any, name: str) -> str:
    """A string custom property of an MLMD execution or context, "" when absent (indexing the
    proto map would insert the key)."""
    return node.custom_properties[name].string_value if name in node.custom_properties else ""


def _int(node: Any, name: str) -> int | None:
    """An int custom property (written as text when too large for MLMD's MySQL column), None
    when absent."""
    if name not in node.custom_properties:
        return None
    value = node.custom_properties[name]
    if value.WhichOneof("value") == "string_value":
        return int(value.string_value)
    return int(value.int_value)


def _q(value: str) -> str:
    """Quote a string for an MLMD filter query (names are validated; escape defensively)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
