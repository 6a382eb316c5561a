"""The `headrace` command line: run pipelines locally, inspect runs, compile for Argo."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from headrace.errors import HeadraceError, RunFailed

DEFAULT_ROOT = "headrace-root"
# soft_wrap: never break paths and commands across lines; users copy them from logs.
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="headrace")
@click.option("-v", "--verbose", is_flag=True,
              help="Show TensorFlow's and Beam's own info logs and library deprecation warnings.")
def main(verbose: bool) -> None:
    """Headrace: TFX-style ML pipelines, run locally or compiled to one Argo Workflow."""
    if not verbose:
        _quiet_libraries()


def _quiet_libraries() -> None:
    """Keep the libraries' chatter (TensorFlow's C++ info logs, Python-version and deprecation
    notices from google-auth, TF and Beam) out of the run's output; their errors still show."""
    import logging
    import warnings

    # Read when TensorFlow loads. 3, not 2: on a CPU machine TF's CUDA plugins log "Unable to
    # register cuDNN/cuFFT/cuBLAS factory" at ERROR level on every import, and they are noise.
    # (TensorFlow's real errors still reach the user as Python exceptions; -v shows them all.)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # The same for the node processes of `--isolate` and container steps run from here.
    os.environ.setdefault(
        "PYTHONWARNINGS", "ignore::FutureWarning,ignore::DeprecationWarning"
    )
    for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    for name in ("tensorflow", "apache_beam", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--metadata", help="Metadata URL (default: SQLite under the root).")(fn)
    return click.option(
        "--root",
        type=click.Path(file_okay=False),
        help=f"Pipeline root (default: the pipeline's, else ./{DEFAULT_ROOT}).",
    )(fn)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}")
    sys.exit(code)


@main.command()
@click.argument("pipeline_file", type=click.Path(dir_okay=False))
@_store_options
@click.option(
    "--parallelism",
    "-j",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Nodes run at the same time.",
)
@click.option(
    "--resume",
    "resume",
    metavar="RUN_ID",
    help="Resume this run: re-run only nodes that did not complete.",
)
@click.option(
    "--isolate",
    is_flag=True,
    help="Run every node in its own process, through the container entrypoint.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A runtime parameter value (JSON, or a bare string).",
)
@click.option(
    "--containers",
    type=click.Choice(["auto", "docker", "process"]),
    help="How container components run: 'docker' (their image), or 'process' (development: "
    "their command runs on this machine with the same arguments). Default: "
    "$HEADRACE_CONTAINERS, else auto (Docker if an engine answers).",
)
@click.option("--beam-runner", type=click.Choice(["direct", "flink", "spark"]),
              help="Where Beam jobs run: in-process (DirectRunner, the default), or on the Flink "
              "or Spark job server at --beam-job-endpoint (`headrace beam serve` starts one).")
@click.option("--beam-job-endpoint", metavar="HOST:PORT",
              help="The Flink/Spark job server; SDK workers come from a worker pool this run "
              "starts on this machine.")
@click.option("--beam-sdk-workers", type=click.Choice(["processes", "threads"]),
              default="processes", show_default=True,
              help="The worker pool's SDK workers: a process each (Beam's worker pool, as in a "
              "cluster; each job imports TensorFlow again) or threads of one process that "
              "imports once for the whole run (less per-job overhead, one core for Python).")
def run(
    pipeline_file: str,
    root: str | None,
    metadata: str | None,
    parallelism: int,
    resume: str | None,
    isolate: bool,
    params: tuple[str, ...],
    containers: str | None,
    beam_runner: str | None,
    beam_job_endpoint: str | None,
    beam_sdk_workers: str,
) -> None:
    """Run the pipeline defined in PIPELINE_FILE on this machine."""
    if (beam_runner in ("flink", "spark")) != bool(beam_job_endpoint):
        _fail("--beam-runner flink|spark and --beam-job-endpoint HOST:PORT go together: the "
              "job server to send Beam jobs to (`headrace beam serve flink` starts one).")
    from headrace.dsl.loader import load_pipeline
    from headrace.ir import build
    from headrace.launcher import check_runtime_values
    from headrace.metadata import default_url, open_store
    from headrace.runner import LocalRunner
    from headrace.runner.progress import ConsoleReporter

    if containers:  # through the environment, so --isolate's node processes get it too
        from headrace.launcher.container import CONTAINERS_ENV

        os.environ[CONTAINERS_ENV] = containers
    try:
        ir = build(load_pipeline(pipeline_file))
        root = root or ir.root or DEFAULT_ROOT
        ir = dataclasses.replace(ir, root=os.path.abspath(root))
        url = metadata or ir.metadata or default_url(root)
        store = open_store(url)
        if resume:
            previous = store.get_run(resume)
            if previous is None or previous.pipeline != ir.name:
                _fail(
                    f"No run {resume!r} of pipeline {ir.name!r} in {url}; "
                    f"`headrace runs list --metadata {url}` shows the runs."
                )
        runtime = dict(_parse_param(p) for p in params)
        check_runtime_values(ir, runtime)  # (the runner checks too) before announcing a run
        beam: contextlib.AbstractContextManager[Any] = contextlib.nullcontext(ir)
        if beam_runner in ("flink", "spark") and beam_job_endpoint:
            from headrace.runner.beam.remote import remote_beam

            beam = remote_beam(ir, runner=beam_runner, endpoint=beam_job_endpoint,
                               root=os.path.abspath(root), sdk_workers=beam_sdk_workers,
                               announce=lambda remote: console.print(remote.describe()))
        runner = LocalRunner(
            store=store,
            metadata_url=url,
            parallelism=parallelism,
            isolate=isolate,
            reporter=ConsoleReporter(console),
        )
        with beam as ir:
            console.print(
                f"Run [bold]{resume or '(new)'}[/bold] of pipeline [bold]{ir.name}[/bold]: "
                f"{len(ir.nodes)} nodes, root {ir.root}"
            )
            from headrace.runner.local import StopNow, new_run_id

            run_id = resume or new_run_id(ir.name)
            try:
                summary = runner.run(
                    ir, root=ir.root or root, run_id=run_id, runtime_values=runtime
                )
            except StopNow:
                err.print(
                    f"[red]Stopped[/red] at a second Ctrl-C: the nodes in flight are recorded "
                    f"CANCELED. Resume with:\n  {_again(pipeline_file, run_id, root, metadata)}"
                )
                sys.stdout.flush()
                sys.stderr.flush()
                # Now: in-process nodes run in threads that cannot be stopped, and a normal exit
                # would wait for them.
                os._exit(130)
    except HeadraceError as exc:
        _fail(str(exc), _exit_code(exc))
    from headrace.runner.progress import print_summary

    print_summary(console, summary)
    where = (f" --root {root}" if root != DEFAULT_ROOT else "") + (
        f" --metadata {metadata}" if metadata else ""
    )
    console.print(
        f"One page for this run: headrace runs report {summary.run_id} -o report.html{where}"
    )
    again = _again(pipeline_file, summary.run_id, root, metadata)
    if summary.failed:
        err.print(
            f"[red]{RunFailed.__name__}:[/red] node(s) "
            f"{', '.join(summary.failed)} failed. Resume with:\n  {again}"
        )
        sys.exit(1)
    if not summary.ok:
        what = f"{', '.join(summary.not_run)} did not run" if summary.not_run else "it ended"
        err.print(f"[yellow]Interrupted[/yellow]: {what}. Resume with:\n  {again}")
        sys.exit(130)


def _again(pipeline_file: str, run_id: str, root: str | None, metadata: str | None) -> str:
    where = (f" --root {root}" if root and root != DEFAULT_ROOT else "") + (
        f" --metadata {metadata}" if metadata else ""
    )
    return f"headrace run {pipeline_file} --resume {run_id}{where}"


def _exit_code(exc: HeadraceError) -> int:
    """A metadata store that cannot be reached exits as a cluster step does (a retry may help:
    scripts and schedulers can act on it); any other error as a usage error."""
    from headrace.errors import MetadataAccessDenied, MetadataError, StorageError
    from headrace.launcher import exit_codes

    if isinstance(exc, MetadataError) and not isinstance(exc, MetadataAccessDenied):
        return exit_codes.INFRA_ERROR
    if isinstance(exc, StorageError):
        return exit_codes.INFRA_ERROR
    return 2


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} must look like NAME=VALUE", param_hint="--param")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


@main.group()
def runs() -> None:
    """Inspect recorded runs."""


def _open(root: str | None, metadata: str | None) -> Any:
    from headrace.metadata import default_url, open_store

    url = metadata or default_url(root or DEFAULT_ROOT)
    if url.startswith("sqlite://") and not os.path.exists(url[len("sqlite://") :]):
        _fail(f"No metadata at {url}; pass --root or --metadata where a run recorded it.")
    try:
        return open_store(url)
    except HeadraceError as exc:
        _fail(str(exc))


@runs.command("list")
@_store_options
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def runs_list(root: str | None, metadata: str | None, pipeline: str | None, as_json: bool) -> None:
    """List runs, newest first; an incomplete run says which nodes did not finish."""
    from headrace.runner.report.model import run_view

    store = _open(root, metadata)
    found = [store.get_run(r.run_id) for r in store.list_runs(pipeline)]
    where = _where(root, metadata)
    rows = []
    for r in found:
        states = [e.state for e in r.executions]
        view = run_view(r, str(store.url))
        unfinished = [n for n in view.nodes if n.state not in _DONE_VIEW_STATES]
        rows.append(
            {
                "run_id": r.run_id,
                "pipeline": r.pipeline,
                "created_ms": r.created_ms,
                "status": view.status,
                "executions": len(states),
                "complete": states.count("COMPLETE"),
                "cached": states.count("CACHED"),
                "failed": states.count("FAILED"),
                "running": states.count("RUNNING"),
                "canceled": states.count("CANCELED"),
                "unfinished_nodes": {n.id: n.state for n in unfinished},
                "resume": f"headrace run PIPELINE_FILE --resume {r.run_id}{where}"
                if unfinished
                else "",
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ("run id", "pipeline", "created", "status", "executed", "cached", "unfinished")
    lines = [
        (
            row["run_id"],
            row["pipeline"],
            _time(row["created_ms"]),
            row["status"],
            str(row["complete"]),
            str(row["cached"]),
            ", ".join(f"{n} ({s})" for n, s in row["unfinished_nodes"].items()) or "-",
        )
        for row in rows
    ]
    _print_table(headers, lines)
    if any(row["resume"] for row in rows):
        console.print(
            f"Resume an unfinished run: headrace run PIPELINE_FILE --resume RUN_ID{where}"
        )


# A node of a run that needs nothing more (report model states).
_DONE_VIEW_STATES = ("complete", "cached", "resolved")


def _where(root: str | None, metadata: str | None) -> str:
    """The store options to repeat in a printed command."""
    return (f" --root {root}" if root else "") + (f" --metadata {metadata}" if metadata else "")


def _print_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """A table on a terminal; plain space-aligned columns, never cut, when piped (for grep,
    awk and files: a terminal's 80-column box would truncate ids and paths)."""
    if console.is_terminal:
        table = Table(*headers)
        table.columns[0].no_wrap = True
        for line in rows:
            table.add_row(*line)
        console.print(table)
        return
    widths = [max(len(x) for x in column) for column in zip(headers, *rows, strict=True)]
    for line in (headers, *rows):
        click.echo("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())


@runs.command("show")
@click.argument("run_id")
@_store_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def runs_show(run_id: str, root: str | None, metadata: str | None, as_json: bool) -> None:
    """Show one run: its nodes, states (cache hits included), durations and artifacts."""
    store = _open(root, metadata)
    record = store.get_run(run_id)
    if record is None:
        _fail(f"No run {run_id!r} in {store.url}; `headrace runs list` shows the runs.")
    executions = [
        {
            "node_id": e.node_id,
            "component": e.component,
            "execution_id": e.id,
            "state": e.state,
            "seconds": e.seconds,
            "cached_from": e.cached_from,
            "summary_uri": e.summary_uri,
            "error": e.error.splitlines()[0] if e.error else "",
            "attempt": e.attempt,
            "memory_limit": e.memory_limit,
            "exit_code": e.exit_code,
            "outputs": {
                p: [
                    {"uri": a.uri, "type": a.TYPE_NAME, "id": a.id, "properties": a.properties}
                    for a in arts
                ]
                for p, arts in e.outputs.items()
            },
        }
        for e in record.executions
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": record.run_id,
                    "pipeline": record.pipeline,
                    "created_ms": record.created_ms,
                    "executions": executions,
                },
                indent=2,
                default=str,
            )
        )
        return
    from headrace.runner.report.model import run_view

    view = run_view(record, str(store.url))
    unfinished = [n for n in view.nodes if n.state not in _DONE_VIEW_STATES]
    console.print(
        f"Run [bold]{record.run_id}[/bold] of [bold]{record.pipeline}[/bold], "
        f"started {_time(record.created_ms)}: {view.status}"
    )
    if not console.is_terminal:
        lines = []
        for e in executions:
            state = e["state"] + (f" (from {e['cached_from']})" if e["cached_from"] else "")
            uris = "; ".join(f"{p}: {a['uri']}" for p, arts in e["outputs"].items() for a in arts)
            lines.append(
                (e["node_id"], str(e["execution_id"]), state, f"{e['seconds']:.2f}",
                 uris or e["error"] or "-")
            )
        _print_table(("node", "execution", "state", "seconds", "outputs"), lines)
    else:
        table = Table("node", "execution", "state", "seconds", "outputs")
        table.columns[4].overflow = "fold"
        for e in executions:
            state = e["state"] + (f" (from {e['cached_from']})" if e["cached_from"] else "")
            uris = "\n".join(f"{p}: {a['uri']}" for p, arts in e["outputs"].items() for a in arts)
            table.add_row(
                e["node_id"], str(e["execution_id"]), state, f"{e['seconds']:.2f}",
                uris or e["error"],
            )
        console.print(table)
    # A retried step (a cluster step's retryStrategy): what each attempt had and how it ended.
    from headrace.launcher.attempts import attempts_by_node

    for node_id, line in attempts_by_node(record.executions).items():
        console.print(f"{node_id}: {line}", markup=False, highlight=False, soft_wrap=True)
    if unfinished:
        console.print("Unfinished: " + ", ".join(f"{n.id} ({n.outcome})" for n in unfinished))
    # A compiled run its exit handler marked resumes as a workflow (argo retry / replay); a
    # local one with `headrace run --resume`: one resume hint, the one that fits the run.
    if not _say_how_it_ended(record) and unfinished:
        console.print(
            f"Resume it: headrace run PIPELINE_FILE --resume {record.run_id}"
            f"{_where(root, metadata)}"
        )


def _say_how_it_ended(record: Any) -> bool:
    """For a run its workflow's exit handler marked (a step killed for good, a stopped run):
    what happened to each such node, and how to resume. False if none was marked."""
    from headrace.launcher.unfinished import MARK

    marked = [e for e in record.executions if e.error.startswith(MARK)]
    if not marked:
        return False
    for e in marked:
        console.print(f"[bold]{e.node_id}[/bold] {e.state}: {e.error}", markup=True)
    done = {e.node_id for e in record.executions if e.state in ("COMPLETE", "CACHED")}
    console.print(
        f"{len(done)} node(s) completed and are reused on resume. Resume the workflow with:\n"
        f"  argo retry {record.run_id}        (in the cluster; or KFP's Retry button)\n"
        f"  headrace replay WORKFLOW.yaml --name {record.run_id}   (on this machine)"
    )
    return True


@runs.command("report")
@click.argument("run_id")
@_store_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Where to write the HTML page (one file; it works offline).",
)
def runs_report(run_id: str, root: str | None, metadata: str | None, output: str) -> None:
    """Write one self-contained HTML page for a run: its graph with each node's state, cache hit
    and duration, the nodes, the artifacts with links, and the nodes' summaries."""
    from headrace.runner.report import write_report

    store = _open(root, metadata)
    try:
        view = write_report(store, run_id, output)
    except HeadraceError as exc:
        _fail(str(exc))
    err.print(
        f"Wrote {output}: run {view.run_id} of {view.pipeline}, {len(view.nodes)} nodes, "
        f"{view.status}."
    )


def _time(ms: int) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


# -- compile, upload, submit -------------------------------------------------------------------


def _secret(text: str | None) -> Any:
    from headrace.compiler import SecretRef

    return None if text is None else SecretRef.parse(text)


def _pairs(values: tuple[str, ...], flag: str) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{text!r} must look like NAME=VALUE", param_hint=flag)
        out[name] = value
    return out


@main.command("compile")
@click.argument("pipeline_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Where to write the YAML ('-' for standard output).")
@click.option("--format", "output_format", type=click.Choice(["argo", "kfp"]), default="argo",
              show_default=True, help="argo: one Argo Workflow (KFP takes it as a v1 pipeline); "
              "kfp: a Kubeflow Pipelines v2 pipeline spec (for KFP servers that block v1).")
@click.option("--image", help="Container image of the steps (default: the one `headrace image "
              "build` makes from this installation; `headrace image name` prints it).")
@click.option("--gpu-image", help="Image of the steps that ask for GPUs (default: --image if "
              "given, else `headrace image name --gpu`).")
@click.option("--image-pull-policy", type=click.Choice(["Always", "IfNotPresent", "Never"]))
@click.option("--image-pull-secret", "image_pull_secrets", multiple=True, metavar="SECRET",
              help="A Secret with registry credentials (repeatable).")
@click.option("--host-network", "host_network", is_flag=True, default=None,
              help="Run every pod on its node's network (a single-node or test cluster with no "
                   "pod network, as scripts/local-cluster.sh starts; Argo format only).")
@click.option("--namespace", help="Kubernetes namespace of the workflow (default: headrace, "
              "the manifests').")
@click.option("--service-account", help="Service account of the steps' pods (default: "
              "headrace-workflow).")
@click.option("--generate-name", help="Prefix of the workflow's name (default: the pipeline's).")
@click.option("--pipeline-root", help="Pipeline root in the cluster: a path on --root-pvc, or "
              "an object-store URI (gs://, s3://); default /mnt/headrace.")
@click.option("--root-pvc", "root_volume_claim", metavar="CLAIM",
              help="PersistentVolumeClaim mounted at the pipeline root (default "
              "headrace-pipeline-root).")
@click.option("--metadata", help="MLMD in the cluster: mysql://USER@HOST:PORT/DB or "
              "grpc://HOST:PORT (default: the manifests' mysql://headrace@mysql:3306/metadb).")
@click.option("--mysql-password-secret", metavar="SECRET/KEY",
              help="Secret holding the MySQL password (default headrace-mysql/password).")
@click.option("--env", "env", multiple=True, metavar="NAME=VALUE",
              help="A plain environment variable of every step (repeatable).")
@click.option("--secret-env", "secret_env", multiple=True, metavar="NAME=SECRET/KEY",
              help="An environment variable taken from a Secret (repeatable).")
@click.option("--beam-runner", type=click.Choice(["direct", "flink", "spark"]),
              help="Where Beam jobs run: inside the step, or on a Flink or Spark job server.")
@click.option("--beam-job-endpoint", metavar="HOST:PORT", help="The Beam job server (default: "
              "the flink/spark overlay's, flink-job-server:8099 or spark-job-server:8099).")
@click.option("--beam-worker-pool", type=click.Choice(["cluster", "step"]),
              help="SDK worker pool: sidecar of the Flink/Spark workers, or of each Beam step.")
@click.option("--beam-worker-pool-port", type=click.IntRange(1, 65535))
@click.option("--beam-artifacts-dir", help="Where Beam stages job artifacts.")
@click.option("--beam-node", "beam_nodes", multiple=True, metavar="NODE",
              help="A node that runs Beam jobs: only these get the runner flags and a "
                   "worker pool (repeatable; default: the nodes whose component runs Beam, "
                   "such as ExampleGen, StatisticsGen, Transform, Evaluator, BulkInferrer).")
@click.option("--default-cpu", help="CPU request of steps that set none (e.g. 500m).")
@click.option("--default-memory", help="Memory request of steps that set none (e.g. 2Gi).")
@click.option("--retry-limit", type=click.IntRange(0), help="Retries of infrastructure failures.")
@click.option("--retry-backoff", metavar="DURATION", help="First retry delay, e.g. 30s.")
@click.option("--memory-retry-factor", type=float, metavar="FACTOR",
              help="A step killed for memory (exit 137) is retried with its memory limit and "
                   "request times FACTOR per retry (default 2; above 1).")
@click.option("--memory-retry-cap", metavar="CAP",
              help="The most memory such a retry gets: a multiple of the step's declared limit "
                   "(default 4x; 1x keeps every retry at the declared limit) or a quantity such "
                   "as 16Gi.")
@click.option("--step-timeout", "step_timeout_seconds", type=click.IntRange(1), metavar="SECONDS")
@click.option("--workflow-timeout", "workflow_timeout_seconds", type=click.IntRange(1),
              metavar="SECONDS")
@click.option("--pod-gc", type=click.Choice(
    ["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"]))
@click.option("--no-ui-metadata", is_flag=True, help="No mlpipeline-ui-metadata outputs.")
@click.option("--no-limit-check", is_flag=True,
              help="Write the YAML even if it exceeds Kubernetes/Argo size limits (and do not "
                   "split it).")
@click.option("--nodes-per-workflow", type=click.IntRange(1), metavar="N",
              help="Split into a parent Workflow and child workflows of at most N nodes each "
                   "(default: only when one Workflow object would exceed its 1 MiB; Argo "
                   "format only).")
@click.option("--check", "check_after", is_flag=True,
              help="Then run Argo's and KFP's own validation on it, as `headrace check` does.")
def compile_command(pipeline_file: str, output: str, output_format: str, check_after: bool,
                    **flags: Any) -> None:
    """Compile PIPELINE_FILE to one Argo Workflow YAML (a container step per component), or
    with --format kfp to a Kubeflow Pipelines v2 pipeline spec (a task per component).

    Options come from the file's `compile_options = CompileOptions(...)`, if any, and then
    these flags. A pipeline too large for one Workflow object is written as its parts'
    WorkflowTemplates and a parent Workflow that runs them (`headrace submit` creates both).
    """
    from headrace.compiler import CompileOptions, compile_workflow
    from headrace.dsl.loader import import_file, load_pipeline
    from headrace.ir import build

    try:
        module = import_file(pipeline_file)
        ir = build(load_pipeline(pipeline_file))
        options = getattr(module, "compile_options", None) or CompileOptions()
        if not isinstance(options, CompileOptions):
            _fail(f"{pipeline_file}: `compile_options` must be a headrace.compiler.CompileOptions, "
                  f"not {type(options).__name__}.")
        flags["image_pull_secrets"] = flags["image_pull_secrets"] or None
        flags["beam_nodes"] = flags["beam_nodes"] or None
        flags["mysql_password_secret"] = _secret(flags["mysql_password_secret"])
        flags["env"] = {**options.env, **_pairs(flags["env"], "--env")} or None
        secret_env = {k: _secret(v) for k, v in _pairs(flags["secret_env"], "--secret-env").items()}
        flags["secret_env"] = {**options.secret_env, **secret_env} or None
        flags["ui_metadata"] = False if flags.pop("no_ui_metadata") else None
        flags["enforce_limits"] = False if flags.pop("no_limit_check") else None
        options = _default_images(options.override(**flags), ir)
        if output_format == "kfp":
            from headrace.compiler.kfp_v2 import compile_kfp

            compiled: Any = compile_kfp(ir, options)
        else:
            compiled = compile_workflow(ir, options)
    except HeadraceError as exc:
        _fail(str(exc))
    for warning in compiled.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}")
    if output == "-":
        click.echo(compiled.yaml, nl=False)
        return
    with open(output, "w") as f:
        f.write(compiled.yaml)
    size = len(compiled.yaml.encode())
    what = "tasks (KFP v2 pipeline spec)" if output_format == "kfp" else "steps"
    split = (f" as a parent Workflow and {compiled.parts} parts (WorkflowTemplates; "
             f"`headrace submit {output}` creates them)" if getattr(compiled, "parts", 0) else "")
    err.print(f"Wrote {output}: {len(ir.nodes)} {what}{split}, {size / 1024:.1f} KiB.")
    # With --check, a missing tool does not fail the compile (the YAML is written and passed our
    # own checks); it is said plainly. A rejection does: the file would fail on the cluster.
    if check_after and _conformance(output, {}, err) == "rejected":
        sys.exit(1)


def _conformance(path: str, params: dict[str, str], out: Console) -> str:
    """Print what Argo's and KFP's own code said of `path`: 'ok', 'rejected' or 'unchecked'."""
    from headrace.compiler.conformance import build_hint, check_file

    try:
        result = check_file(path, params)
    except HeadraceError as exc:
        _fail(str(exc))
    for verdict in result.verdicts:
        if verdict.skipped:
            out.print(f"[yellow]skipped[/yellow] {verdict.by}: {verdict.skipped}")
        elif verdict.ok:
            out.print(f"[green]ok[/green]      {verdict.by}")
        else:
            where = f"\n          at {verdict.where}" if verdict.where else ""
            out.print(f"[red]REJECTED[/red] {verdict.by}:\n          {verdict.message}{where}")
    if result.missing:
        out.print(f"[yellow]skipped[/yellow] {build_hint(result.missing)}")
    if result.rejected:
        out.print(f"[red]{path}: rejected by {len(result.rejected)} of the checks above.[/red]")
        return "rejected"
    if not result.checked:
        out.print(f"[yellow]{path}: NOT checked by Argo's or KFP's code (no tool built).[/yellow]")
        return "unchecked"
    out.print(f"{path}: accepted by every check that ran.")
    return "ok"


@main.command()
@click.argument("workflow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A run parameter for KFP's run-creation check (repeatable).")
def check(workflow_file: str, params: tuple[str, ...]) -> None:
    """Check a compiled WORKFLOW_FILE (an Argo Workflow or a KFP v2 pipeline spec) with Argo's and
    Kubeflow Pipelines' own validation code, at each version the conformance tools hold.

    Exit status: 0 accepted, 1 rejected (their message and where in the YAML are printed),
    2 nothing could check it (the tools are not built: scripts/build-conformance.sh).
    """
    outcome = _conformance(workflow_file, _pairs(params, "--param"), console)
    sys.exit({"ok": 0, "rejected": 1, "unchecked": 2}[outcome])


def _default_images(options: Any, ir: Any) -> Any:
    """No image from the flags or the pipeline file: the images `headrace image build` makes
    from this installation (headrace.images says how they are named, in a checkout and inside
    the image alike). Steps that name their own image (`.with_image`) need no default."""
    if options.image or all(node.image for node in ir.nodes):
        return options
    from headrace import images

    return options.override(
        image=images.image_name("cpu"), gpu_image=options.gpu_image or images.image_name("gpu")
    )


@main.command()
@click.argument("workflow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--host", required=True, envvar="KFP_HOST",
              help="Kubeflow Pipelines API, e.g. http://localhost:8080 (or $KFP_HOST).")
@click.option("--name", help="Pipeline name (default: the file's pipeline name).")
@click.option("--version", help="Upload as this version of the pipeline.")
@click.option("--description", help="Pipeline description (default: the pipeline's).")
@click.option("--namespace", help="KFP namespace (multi-user installations).")
@click.option("--run", "start_run", is_flag=True,
              help="Start a run of what was uploaded (v2 spec: through the v2beta1 API; Argo "
              "Workflow: through v1beta1, the only one that passes its parameters).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A run parameter (repeatable): text for str parameters, JSON for the rest.")
@click.option("--run-name", help="The run's name (default: the pipeline's and version's).")
@click.option("--experiment", help="Run in this KFP experiment (created if missing).")
@click.option("--service-account", help="Kubernetes service account of the run's pods.")
def upload(workflow_file: str, host: str, name: str | None, version: str | None,
           description: str | None, namespace: str | None, start_run: bool,
           params: tuple[str, ...], run_name: str | None, experiment: str | None,
           service_account: str | None) -> None:
    """Upload a compiled WORKFLOW_FILE (an Argo Workflow or a KFP v2 pipeline spec, told apart
    by content) to Kubeflow Pipelines, and with --run start a run of it."""
    from headrace.compiler.kfp_upload import upload as upload_workflow

    try:
        done = upload_workflow(workflow_file, host=host, name=name, version=version,
                               description=description, namespace=namespace, run=start_run,
                               parameters=_pairs(params, "--param"), run_name=run_name,
                               experiment=experiment, service_account=service_account)
    except HeadraceError as exc:
        _fail(str(exc))
    what = f"version {done.version} of " if done.version else ""
    kind = "v2 pipeline" if done.format == "kfp" else "pipeline (Argo Workflow)"
    console.print(f"Uploaded {what}{kind} [bold]{done.name}[/bold]: {done.url}")
    if done.run:
        console.print(f"Started run {done.run.run_id} (KFP {done.run.api} API): {done.run.url}")


@main.command()
@click.argument("workflow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--namespace", help="Namespace (default: the file's, else the kube context's).")
@click.option("--watch", is_flag=True, help="Follow the workflow's steps until it finishes.")
@click.option("--timeout", type=click.FloatRange(0), metavar="SECONDS",
              help="Stop watching after this long.")
def submit(workflow_file: str, namespace: str | None, watch: bool, timeout: float | None) -> None:
    """Submit a compiled WORKFLOW_FILE straight to Argo Workflows (kube config from ~/.kube or
    the pod's service account)."""
    from headrace.compiler.argo_submit import submit as submit_workflow

    try:
        done = submit_workflow(
            workflow_file, namespace=namespace, watch=watch, timeout_seconds=timeout,
            on_progress=lambda step, phase: console.print(f"  {step}: {phase}"),
        )
    except HeadraceError as exc:
        _fail(str(exc))
    phase = done.phase or "submitted"
    message = f" ({done.message})" if done.message else ""
    console.print(f"Workflow [bold]{done.name}[/bold] in {done.namespace}: {phase}{message}")
    if watch and done.phase in ("Failed", "Error"):
        sys.exit(1)


# -- container images --------------------------------------------------------------------------


def _image_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--repository", envvar="HEADRACE_IMAGE_REPOSITORY", metavar="REPO",
                      help="Repository the images are named under, e.g. registry.example.com/ml "
                      "(or $HEADRACE_IMAGE_REPOSITORY; default: headrace).")(fn)
    fn = click.option("--beam", is_flag=True,
                      help="The Beam SDK worker-pool image (Flink/Spark worker sidecar).")(fn)
    fn = click.option("--gpu-wheels", is_flag=True,
                      help="The GPU image without a CUDA base: TensorFlow's CUDA wheels.")(fn)
    return click.option("--gpu", is_flag=True, help="The CUDA/cuDNN image for GPU steps.")(fn)


@main.group()
def image() -> None:
    """Build and name Headrace's container images (tagged by a hash of their sources)."""


@image.command("name")
@_image_flags
def image_name_command(gpu: bool, beam: bool, gpu_wheels: bool, repository: str | None) -> None:
    """Print the image name `image build` gives, and `compile` defaults to, without building."""
    from headrace import images

    try:
        key = images.variant_key(gpu=gpu, beam=beam, gpu_wheels=gpu_wheels)
        click.echo(images.image_name(key, repository))
    except HeadraceError as exc:
        _fail(str(exc))


@image.command("build")
@_image_flags
@click.option("--push", is_flag=True, help="Push the image after building it (`docker login` "
              "to the registry first).")
@click.option("--base", type=click.Choice(["auto", "official", "local"]),
              envvar="HEADRACE_IMAGE_BASE",
              help="Base images: the Dockerfile's official ones, local ones (`headrace image "
              "base`), or auto (official if they can be pulled, else local; the default).")
@click.option("--context", "context_dir", type=click.Path(file_okay=False, exists=True),
              help="Build YOUR image: this directory (pipeline file, components, module files, "
              "data) on top of Headrace's image, at the same absolute path, so `headrace "
              "compile DIR/pipeline.py --image NAME` gives steps that find it.")
def image_build(gpu: bool, beam: bool, gpu_wheels: bool, repository: str | None, push: bool,
                base: str | None, context_dir: str | None) -> None:
    """Build the CPU image (or --gpu, --beam) with the local Docker engine ($DOCKER_HOST)."""
    from headrace import images, user_image

    log = lambda line: err.print(line, markup=False)  # noqa: E731
    try:
        key = images.variant_key(gpu=gpu, beam=beam, gpu_wheels=gpu_wheels)
        if context_dir:
            built = user_image.build(context_dir, key=key, repo=repository, push=push,
                                     base=base, log=log)
        else:
            built = images.build(key, repo=repository, push=push, base=base, log=log)
    except HeadraceError as exc:
        _fail(str(exc))
    bases = " on local bases" if built.bases == "local" else ""
    console.print(f"{'Built and pushed' if built.pushed else 'Built'}{bases} "
                  f"[bold]{built.name}[/bold]")


@image.command("base")
@click.option("--beam", is_flag=True, help="Also Beam's SDK boot (built with Go).")
def image_base_command(beam: bool) -> None:
    """Make local base images (Debian bookworm by debootstrap, uv from PyPI, Beam's boot with
    Go) for machines that reach no image registry; `image build --base local` uses them."""
    from headrace import image_base, images

    root = images.source_tree()
    if root is None:
        _fail("Making base images needs a Headrace source checkout (images/Dockerfile).")
    assert root is not None
    try:
        made = image_base.ensure(images._client(), (root / images.DOCKERFILE).read_text(),
                                 beam=beam, log=lambda line: err.print(line, markup=False))
    except HeadraceError as exc:
        _fail(str(exc))
    for arg, name in made.build_args().items():
        if beam or arg != "BEAM_SDK_IMAGE":
            console.print(f"{arg}={name}")


# -- replaying a compiled workflow -------------------------------------------------------------


@main.command("replay")
@click.argument("workflow_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--docker", "use_docker", is_flag=True, help="Run each step as a container of its "
              "image (host network), not as a process of this machine.")
@click.option("--root", type=click.Path(file_okay=False), help="Directory of this machine that "
              "stands in for the pipeline-root claim (mounted at its path in each step).")
@click.option("--metadata", help="ML Metadata URL the steps use instead of the compiled one "
              "(e.g. mysql://headrace@127.0.0.1:3306/metadb).")
@click.option("--secret", "secrets", multiple=True, metavar="NAME/KEY=VALUE",
              help="A Secret key the steps' env refers to (repeatable).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A workflow parameter (repeatable).")
@click.option("--name", help="The workflow's name (the run id); default: generateName + 5 "
              "characters. Give an earlier run's name to resume it.")
@click.option("--parallelism", type=click.IntRange(min=1), default=4, show_default=True,
              help="Steps run at once.")
def replay_command(workflow_file: str, use_docker: bool, root: str | None,
                   metadata: str | None, secrets: tuple[str, ...], params: tuple[str, ...],
                   name: str | None, parallelism: int) -> None:
    """Run a compiled workflow on this machine from its YAML alone (to debug it before a
    cluster sees it): DAG order, independent steps in parallel, each step's command, args, env,
    mounts, resources, retries and deadline, then its exit handler."""
    import signal

    from headrace.replay import Replay, TaskFailed

    def pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
        out = []
        for value in values:
            key, sep, rest = value.partition("=")
            if not sep or not key:
                form = "NAME/KEY=VALUE" if flag == "--secret" else "NAME=VALUE"
                _fail(f"{flag} {value!r} must look like {form}.")
            out.append((key, rest))
        return out

    given: dict[str, dict[str, str]] = {}
    for key, value in pairs(secrets, "--secret"):
        secret, sep, item = key.partition("/")
        if not sep:
            _fail(f"--secret {key}=...: name the Secret and its key, as NAME/KEY=VALUE.")
        given.setdefault(secret, {})[item] = value
    if root:
        os.makedirs(root, exist_ok=True)
    try:
        with open(workflow_file, encoding="utf-8") as f:
            text = f.read()
        replay = Replay(text, workflow_name=name, parameters=dict(pairs(params, "--param")),
                        secrets=given, docker=use_docker, root=root, metadata=metadata,
                        parallelism=parallelism, log=lambda line: err.print(line, markup=False))
        # Ctrl-C is Argo's `argo stop`: running steps are killed, the exit handler runs.
        signal.signal(signal.SIGINT, lambda *_: replay.stop())
        signal.signal(signal.SIGTERM, lambda *_: replay.stop())
        runs = replay.run()
    except TaskFailed as exc:
        _fail(f"Workflow {replay.name} failed: {exc}\nSee `headrace runs show {replay.name}"
              f"{' --metadata ' + metadata if metadata else ''}`.")
    except HeadraceError as exc:
        _fail(str(exc))
    ran = sum(1 for r in runs if not r.skipped and not r.exit_handler)
    console.print(f"Workflow [bold]{replay.name}[/bold] succeeded: {ran} step(s) ran, "
                  f"{sum(r.skipped for r in runs)} skipped.")



# `headrace beam serve`: its own module, so this file stays about runs and compiling.
from headrace.cli_beam import beam as _beam_group  # noqa: E402

main.add_command(_beam_group)
