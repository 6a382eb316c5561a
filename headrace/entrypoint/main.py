"""Parse the step's arguments, launch its node, and exit with a code Argo can act on."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import traceback
from typing import Any

from headrace.errors import (
    DefinitionError,
    ExecutionError,
    HeadraceError,
    MetadataAccessDenied,
    MetadataError,
    PipelineFileError,
    StorageError,
)
from headrace.ir import PipelineIR, decode_graph, step_ir
from headrace.launcher import LaunchResult, attempts, exit_codes, launch, record_run_graph
from headrace.launcher.interrupts import Terminated, die_with_parent, raise_on_sigterm
from headrace.metadata import GraphNode, default_url, open_store, retry_seconds

# argparse rather than click: this runs in every container step and must start fast with
# nothing but the standard library; its flags are a machine interface written by the compiler.


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m headrace.entrypoint", description=__doc__)
    # Not required: --phase=exit-handler needs none of them (_load_ir says what is missing).
    source = p.add_mutually_exclusive_group()
    source.add_argument("--ir", help="path of the pipeline IR JSON (with --node)")
    source.add_argument("--ir-env", help="environment variable holding the pipeline IR JSON")
    source.add_argument(
        "--definition",
        help="a cluster step's component definition JSON (with --instance): what the nodes of "
        "one Argo template share",
    )
    source.add_argument(
        "--graph-env",
        help="--phase=run: environment variable holding the run's graph (headrace.dev/graph)",
    )
    p.add_argument("--node", help="id of the node to run (with --ir or --ir-env)")
    p.add_argument("--instance", help="the node instance JSON (with --definition)")
    p.add_argument("--pipeline", help="--phase=run and exit-handler: the pipeline's name")
    p.add_argument("--run-id", required=True, help="the run (in Argo: the workflow name)")
    p.add_argument("--metadata", help="metadata URL (default: the IR's, else SQLite under root)")
    p.add_argument("--root", help="pipeline root (default: the IR's)")
    p.add_argument("--runtime-param", action="append", default=[], metavar="NAME=JSON")
    # KFP v2 substitutes a STRING parameter as its bare text, which JSON-decoding would turn
    # into a number or a bool when it looks like one ("5", "true"): take it verbatim.
    p.add_argument("--runtime-text", action="append", default=[], metavar="NAME=TEXT")
    p.add_argument(
        "--beam-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="effective Beam arguments for this node (replace the IR's)",
    )
    p.add_argument("--ui-metadata", help="write KFP mlpipeline-ui-metadata JSON here")
    p.add_argument(
        "--phase",
        choices=("launch", "container-driver", "container-publisher", "run", "exit-handler"),
        default="launch",
        help="launch the node whole, or (a container node in a cluster) only the step before or "
        "after its own container step; `run`: record the run's graph, once per run; "
        "`exit-handler` (the workflow's onExit): mark the run's unfinished executions",
    )
    p.add_argument("--workflow-status", default="", help="exit-handler: {{workflow.status}}")
    p.add_argument("--workflow-failures", default="", help="exit-handler: {{workflow.failures}}")
    p.add_argument("--driver-outputs", help="container-driver: where to write Argo's parameters")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = _parser().parse_args(argv)
    args.node = args.node or _instance_id(args.instance) or "(run graph)"
    raise_on_sigterm()  # a deleted pod or a stopping parent: the execution ends CANCELED
    try:
        die_with_parent()  # a local runner's node process ends with that runner
        if args.phase == "run":
            return _record_run(args)
        if args.phase == "exit-handler":
            return _exit_handler(args)
        ir = _load_ir(args)
        if args.beam_arg:
            node = ir.node(args.node)
            ir = _with_node_beam_args(ir, node.id, tuple(args.beam_arg))
        root = args.root or ir.root or "headrace-root"
        url = args.metadata or ir.metadata or default_url(root)
        # A step waits for a store being restarted rather than spend its retries on it.
        store = open_store(url, wait_seconds=retry_seconds())
        runtime = dict(_runtime_param(text) for text in args.runtime_param)
        runtime.update(_runtime_text(text) for text in args.runtime_text)
        if not args.definition:
            # A whole IR (a local --isolate node): record the run's DAG, as the local runner
            # does. A cluster step carries only its node: its workflow's run step records it.
            record_run_graph(store, ir, args.run_id)
        if args.phase == "launch":
            result = launch(
                ir,
                args.node,
                run_id=args.run_id,
                store=store,
                root=root,
                runtime_values=runtime,
                log=print,
                attempt=attempts.from_env(os.environ),
            )
        else:
            from headrace.entrypoint.container_phases import run_phase

            result = run_phase(
                args.phase,
                ir,
                args.node,
                run_id=args.run_id,
                store=store,
                root=root,
                runtime_values=runtime,
                outputs_dir=args.driver_outputs,
            )
    except (DefinitionError, PipelineFileError, ExecutionError) as exc:
        print(f"headrace: node {args.node!r} failed: {exc}", file=sys.stderr)
        print(getattr(exc, "user_traceback", ""), file=sys.stderr)
        return exit_codes.USER_ERROR
    except StorageError as exc:  # a full or read-only disk: retried once there is room
        print(f"headrace: node {args.node!r}: {exc}", file=sys.stderr)
        return exit_codes.INFRA_ERROR
    except MetadataAccessDenied as exc:  # a wrong password stays wrong: no retry
        print(f"headrace: metadata access refused: {exc}", file=sys.stderr)
        return exit_codes.USER_ERROR
    except MetadataError as exc:
        print(f"headrace: metadata failure (retryable): {exc}", file=sys.stderr)
        return exit_codes.INFRA_ERROR
    except Terminated as exc:
        with contextlib.suppress(OSError):  # stderr may be a pipe to a parent that is gone
            print(f"headrace: node {args.node!r} {exc}; recorded CANCELED", file=sys.stderr)
        return exit_codes.TERMINATED
    except (HeadraceError, Exception):
        traceback.print_exc()
        return 1
    if args.ui_metadata:
        _write_ui_metadata(args.ui_metadata, result)
    print(f"headrace: node {result.node_id} {result.outcome} ({result.cache_reason})")
    return exit_codes.OK


def _record_run(args: argparse.Namespace) -> int:
    """The run step of a compiled workflow: the run's graph into its run context, once per
    run (MLMD alone would not know the nodes a failure keeps from running, which `headrace
    runs report` draws)."""
    if not (args.graph_env and args.pipeline and args.metadata):
        raise DefinitionError("--phase=run needs --graph-env, --pipeline and --metadata.")
    text = os.environ.get(args.graph_env)
    if not text:
        raise DefinitionError(f"Environment variable {args.graph_env!r} holds no run graph.")
    graph = [GraphNode(**row) for row in decode_graph(text)]
    store = open_store(args.metadata, wait_seconds=retry_seconds())
    store.record_run_graph(args.pipeline, args.run_id, graph)
    print(f"headrace: run {args.run_id} of {args.pipeline}: graph of {len(graph)} nodes recorded")
    return exit_codes.OK


def _instance_id(instance: str | None) -> str | None:
    # For messages before the instance is checked: the id if the JSON names one.
    try:
        node_id = json.loads(instance or "null")["id"]
    except (ValueError, TypeError, KeyError):
        return None
    return node_id if isinstance(node_id, str) else None


def _exit_handler(args: argparse.Namespace) -> int:
    from headrace.launcher.unfinished import mark_unfinished

    if not (args.pipeline and args.root and args.metadata):
        raise DefinitionError("--phase=exit-handler needs --pipeline, --root and --metadata.")
    store = open_store(args.metadata, wait_seconds=retry_seconds())
    marked = mark_unfinished(
        store,
        args.pipeline,
        args.run_id,
        root=args.root,
        status=args.workflow_status,
        failures=args.workflow_failures,
    )
    print(
        f"headrace: workflow {args.run_id} {args.workflow_status or 'ended'}; "
        f"{len(marked)} unfinished execution(s) marked"
    )
    return exit_codes.OK


def _load_ir(args: argparse.Namespace) -> PipelineIR:
    if args.definition:
        if not args.instance:
            raise DefinitionError("--definition needs --instance (the node instance JSON).")
        return step_ir(args.definition, args.instance)
    if not args.node:
        raise DefinitionError("--ir and --ir-env need --node=ID (the node to run).")
    if not (args.ir or args.ir_env):
        raise DefinitionError("A step needs --definition (with --instance), --ir or --ir-env.")
    if args.ir:
        with open(args.ir) as f:
            return PipelineIR.from_json(f.read())
    text = os.environ.get(args.ir_env)
    if not text:
        raise DefinitionError(f"Environment variable {args.ir_env!r} holds no pipeline IR.")
    return PipelineIR.from_json(text)


def _with_node_beam_args(ir: PipelineIR, node_id: str, beam_args: tuple[str, ...]) -> PipelineIR:
    import dataclasses

    nodes = tuple(
        dataclasses.replace(n, beam_args=beam_args) if n.id == node_id else n for n in ir.nodes
    )
    # The step's arguments are already the effective ones: pipeline-wide args no longer apply.
    return dataclasses.replace(ir, nodes=nodes, beam_args=())


def _runtime_param(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep:
        raise DefinitionError(f"--runtime-param {text!r} must look like NAME=JSON_VALUE.")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value  # a bare string, as Argo substitutes it


def _runtime_text(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise DefinitionError(f"--runtime-text {text!r} must look like NAME=TEXT.")
    return name, value


def _write_ui_metadata(path: str, result: LaunchResult) -> None:
    lines = [f"## {result.node_id}", "", f"**{result.outcome}** — {result.cache_reason}", ""]
    for title, ports in (("Inputs", result.inputs), ("Outputs", result.outputs)):
        if ports:
            lines += [f"### {title}", "", "| port | type | uri | properties |", "|---|---|---|---|"]
            for port, artifacts in sorted(ports.items()):
                for a in artifacts:
                    props = ", ".join(f"{k}={v}" for k, v in sorted(a.properties.items()))
                    lines.append(f"| {port} | {a.TYPE_NAME} | {a.uri} | {props} |")
            lines.append("")
    outputs = [{"type": "markdown", "storage": "inline", "source": "\n".join(lines)}]
    # The node's HTML summary (the launcher wrote it beside the outputs; a cache hit points at the
    # reused execution's) inline, for the KFP UI's per-step web-app viewer.
    try:
        if result.summary_uri:
            with open(result.summary_uri, encoding="utf-8") as f:
                outputs.append({"type": "web-app", "storage": "inline", "source": f.read()})
    except OSError as exc:
        print(f"headrace: the KFP UI gets no HTML summary: {exc}", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"outputs": outputs}, f)
