"""The `headrace` command line: run pipelines locally, inspect runs, compile for Argo."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
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

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # read when TensorFlow loads
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
def run(
    pipeline_file: str,
    root: str | None,
    metadata: str | None,
    parallelism: int,
    resume: str | None,
    isolate: bool,
    params: tuple[str, ...],
    containers: str | None,
) -> None:
    """Run the pipeline defined in PIPELINE_FILE on this machine."""
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
        runner = LocalRunner(
            store=store,
            metadata_url=url,
            parallelism=parallelism,
            isolate=isolate,
            reporter=ConsoleReporter(console),
        )
        console.print(
            f"Run [bold]{resume or '(new)'}[/bold] of pipeline [bold]{ir.name}[/bold]: "
            f"{len(ir.nodes)} nodes, root {ir.root}"
        )
        summary = runner.run(ir, root=ir.root or root, run_id=resume, runtime_values=runtime)
    except HeadraceError as exc:
        _fail(str(exc))
    from headrace.runner.progress import print_summary

    print_summary(console, summary)
    where = (f" --root {root}" if root != DEFAULT_ROOT else "") + (
        f" --metadata {metadata}" if metadata else ""
    )
    console.print(
        f"One page for this run: headrace runs report {summary.run_id} -o report.html{where}"
    )
    if not summary.ok:
        again = f"headrace run {pipeline_file} --resume {summary.run_id}{where}"
        err.print(
            f"[red]{RunFailed.__name__}:[/red] node(s) "
            f"{', '.join(summary.failed)} failed. Resume with:\n  {again}"
        )
        sys.exit(1)


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
    """List runs, newest first."""
    store = _open(root, metadata)
    found = [store.get_run(r.run_id) for r in store.list_runs(pipeline)]
    rows = []
    for r in found:
        states = [e.state for e in r.executions]
        rows.append(
            {
                "run_id": r.run_id,
                "pipeline": r.pipeline,
                "created_ms": r.created_ms,
                "executions": len(states),
                "complete": states.count("COMPLETE"),
                "cached": states.count("CACHED"),
                "failed": states.count("FAILED"),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("run id", "pipeline", "created", "executed", "cached", "failed")
    table.columns[0].no_wrap = True
    for row in rows:
        table.add_row(
            row["run_id"],
            row["pipeline"],
            _time(row["created_ms"]),
            str(row["complete"]),
            str(row["cached"]),
            str(row["failed"]),
        )
    console.print(table)


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
    console.print(
        f"Run [bold]{record.run_id}[/bold] of [bold]{record.pipeline}[/bold], "
        f"started {_time(record.created_ms)}"
    )
    table = Table("node", "execution", "state", "seconds", "outputs")
    table.columns[4].overflow = "fold"
    for e in executions:
        state = e["state"] + (f" (from {e['cached_from']})" if e["cached_from"] else "")
        uris = "\n".join(f"{p}: {a['uri']}" for p, arts in e["outputs"].items() for a in arts)
        table.add_row(
            e["node_id"], str(e["execution_id"]), state, f"{e['seconds']:.2f}", uris or e["error"]
        )
    console.print(table)


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
def compile_command(pipeline_file: str, output: str, output_format: str, **flags: Any) -> None:
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
    return click.option("--gpu", is_flag=True, help="The CUDA/cuDNN image for GPU steps.")(fn)


@main.group()
def image() -> None:
    """Build and name Headrace's container images (tagged by a hash of their sources)."""


@image.command("name")
@_image_flags
def image_name_command(gpu: bool, beam: bool, repository: str | None) -> None:
    """Print the image name `image build` gives, and `compile` defaults to, without building."""
    from headrace import images

    try:
        click.echo(images.image_name(images.variant_key(gpu=gpu, beam=beam), repository))
    except HeadraceError as exc:
        _fail(str(exc))


@image.command("build")
@_image_flags
@click.option("--push", is_flag=True, help="Push the image after building it (`docker login` "
              "to the registry first).")
def image_build(gpu: bool, beam: bool, repository: str | None, push: bool) -> None:
    """Build the CPU image (or --gpu, --beam) with the local Docker engine ($DOCKER_HOST)."""
    from headrace import images

    try:
        built = images.build(images.variant_key(gpu=gpu, beam=beam), repo=repository, push=push,
                             log=lambda line: err.print(line, markup=False))
    except HeadraceError as exc:
        _fail(str(exc))
    console.print(f"{'Built and pushed' if built.pushed else 'Built'} [bold]{built.name}[/bold]")
