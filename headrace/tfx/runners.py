"""TFX's runners: `LocalDagRunner` runs a pipeline on Headrace's local runner; `KubeflowDagRunner`
compiles it to Headrace's Argo Workflow and writes it where TFX 1.15 wrote its package.

Both first offer the pipeline to `headrace.dsl.loader` so that `headrace run file.py` and
`headrace compile file.py` find the pipeline a TFX file hands its runner.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from headrace.compiler import CompileOptions, compile_workflow
from headrace.dsl import Pipeline
from headrace.dsl.loader import offer
from headrace.errors import DefinitionError, RunFailed
from headrace.tfx.op_funcs import StepSettings, record
from headrace.tfx.protos import messages
from headrace.tfx.unsupported import INSTEAD, not_provided

# What KFP v1's compiler wrote into a .tar.gz/.tgz/.zip package, and TFX with it.
PACKAGE_MEMBER = "pipeline.yaml"
# Kubeflow Pipelines' own ML Metadata service, which TFX's default metadata config pointed at
# (through the METADATA_GRPC_SERVICE_HOST/PORT variables of KFP's config map).
KFP_METADATA = "grpc://metadata-grpc-service.kubeflow:8080"
KFP_NAMESPACE = "kubeflow"
KFP_SERVICE_ACCOUNT = "pipeline-runner"
TFX_UI_METADATA_PATH = "/mlpipeline-ui-metadata.json"

KubeflowMetadataConfig = messages("kubeflow")["KubeflowMetadataConfig"]


class LocalDagRunner:
    """`tfx.orchestration.LocalDagRunner().run(pipeline)`: a run on this machine, as `headrace
    run` does it (caching, `headrace run FILE --resume RUN_ID`, the same outputs and MLMD)."""

    def __init__(self, config: Any = None) -> None:
        if config is not None:
            not_provided(
                "tfx.orchestration.LocalDagRunner(config=...)",
                "`headrace run` options (-j, --isolate, --param)",
            )

    def run(self, pipeline: Pipeline) -> Any:
        offer(pipeline)
        from rich.console import Console

        from headrace.ir import build
        from headrace.metadata import default_url, open_store
        from headrace.runner import LocalRunner
        from headrace.runner.progress import ConsoleReporter, print_summary

        ir = build(_checked(pipeline))
        root = os.path.abspath(ir.root or "headrace-root")
        ir = dataclasses.replace(ir, root=root)
        url = ir.metadata or default_url(root)
        console = Console(stderr=True, highlight=False)
        runner = LocalRunner(
            store=open_store(url), metadata_url=url, reporter=ConsoleReporter(console)
        )
        summary = runner.run(ir, root=root)
        print_summary(console, summary)
        if not summary.ok:
            raise RunFailed(
                f"Pipeline {ir.name!r}: node(s) {', '.join(summary.failed) or '-'} failed; "
                f"resume with `headrace run FILE --resume {summary.run_id}` (same root and "
                f"metadata)."
            )
        return summary


def _checked(pipeline: Any) -> Pipeline:
    if not isinstance(pipeline, Pipeline):
        raise DefinitionError(
            f"run() takes a tfx.dsl.Pipeline (a headrace Pipeline), not {type(pipeline).__name__}."
        )
    return pipeline


def get_default_kubeflow_metadata_config() -> Any:
    """TFX's default: Kubeflow's metadata gRPC service, from KFP's environment variables."""
    config = KubeflowMetadataConfig()
    config.grpc_config.grpc_service_host.environment_variable = "METADATA_GRPC_SERVICE_HOST"
    config.grpc_config.grpc_service_port.environment_variable = "METADATA_GRPC_SERVICE_PORT"
    return config


def get_default_pipeline_operator_funcs(use_gcp_sa: bool = False) -> list[Callable[..., Any]]:
    """TFX's default operator funcs mounted KFP's metadata config map, which Headrace does not
    need (the metadata URL is compiled in); none are returned. `use_gcp_sa` is not provided."""
    if use_gcp_sa:
        not_provided(
            "get_default_pipeline_operator_funcs(use_gcp_sa=True)",
            "a Kubernetes service account with Workload Identity (--service-account)",
        )
    return []


class KubeflowDagRunnerConfig:
    """TFX's KubeflowDagRunnerConfig. `tfx_image` is the steps' image; `pipeline_operator_funcs`
    are applied to a recorder that understands GPU limits, node selectors, tolerations, CPU/memory,
    env variables and Secret-backed env variables; `kubeflow_metadata_config` picks MLMD.
    `compile_options` (Headrace's own) is the base for everything else."""

    def __init__(
        self,
        pipeline_operator_funcs: Sequence[Callable[..., Any]] | None = None,
        tfx_image: str | None = None,
        kubeflow_metadata_config: Any = None,
        supported_launcher_classes: Any = None,
        metadata_ui_path: str = TFX_UI_METADATA_PATH,
        *,
        compile_options: CompileOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if supported_launcher_classes is not None:
            not_provided("KubeflowDagRunnerConfig(supported_launcher_classes=...)",
                         INSTEAD["supported_launcher_classes"])
        for name in kwargs:
            not_provided(f"KubeflowDagRunnerConfig({name}=...)")
        self.pipeline_operator_funcs = list(pipeline_operator_funcs or [])
        self.tfx_image = tfx_image
        self.kubeflow_metadata_config = kubeflow_metadata_config
        self.metadata_ui_path = metadata_ui_path
        self.compile_options = compile_options
        # Applied now, so an op func Headrace cannot honour fails at construction.
        self.settings: StepSettings = record(self.pipeline_operator_funcs)

    def options(self) -> CompileOptions:
        """The Headrace compile options this config stands for."""
        options = self.compile_options or CompileOptions(
            namespace=KFP_NAMESPACE, service_account=KFP_SERVICE_ACCOUNT
        )
        changes: dict[str, Any] = {"metadata": _metadata_url(self.kubeflow_metadata_config)}
        if self.tfx_image:
            changes["image"] = self.tfx_image
            changes["gpu_image"] = options.gpu_image or self.tfx_image
        if self.metadata_ui_path != TFX_UI_METADATA_PATH:
            changes["ui_metadata_path"] = self.metadata_ui_path
        settings = self.settings
        if settings.env:
            changes["env"] = {**options.env, **settings.env}
        if settings.secret_env:
            changes["secret_env"] = {**options.secret_env, **settings.secret_env}
        if self.compile_options is not None and changes["metadata"] == KFP_METADATA:
            changes["metadata"] = None  # the given options' metadata stands
        return options.override(**changes)


def _metadata_url(config: Any) -> str:
    if config is None:
        return KFP_METADATA
    grpc = config.grpc_config
    if config.HasField("grpc_config"):
        host = grpc.grpc_service_host.value or "metadata-grpc-service.kubeflow"
        port = grpc.grpc_service_port.value or "8080"
        return f"grpc://{host}:{port}"
    host = config.mysql_db_service_host.value
    if host:
        if config.mysql_db_password.value:
            not_provided(
                "KubeflowMetadataConfig(mysql_db_password=...)",
                "a Kubernetes Secret (CompileOptions.mysql_password_secret); a password "
                "never goes into the workflow YAML",
            )
        port = config.mysql_db_service_port.value or "3306"
        user = config.mysql_db_user.value or "root"
        return f"mysql://{user}@{host}:{port}/{config.mysql_db_name.value or 'metadb'}"
    return KFP_METADATA


class KubeflowDagRunner:
    """`KubeflowDagRunner(config=..., output_dir=..., output_filename=...).run(pipeline)` writes
    Headrace's Argo Workflow to `{output_dir}/{output_filename}`, by default
    `{cwd}/{pipeline_name}.tar.gz` holding `pipeline.yaml` (as TFX 1.15 did); `.tgz`, `.zip`,
    `.yaml` and `.yml` names are written in those formats. Upload it with `headrace upload` or
    KFP's UI/client like TFX's package."""

    def __init__(
        self,
        output_dir: str | None = None,
        output_filename: str | None = None,
        config: KubeflowDagRunnerConfig | None = None,
        pod_labels_to_attach: dict[str, str] | None = None,
    ) -> None:
        if config is not None and not isinstance(config, KubeflowDagRunnerConfig):
            raise DefinitionError("config must be a KubeflowDagRunnerConfig.")
        if pod_labels_to_attach:
            not_provided(
                "KubeflowDagRunner(pod_labels_to_attach=...)",
                "CompileOptions (Headrace sets KFP's own labels)",
            )
        self._config = config or KubeflowDagRunnerConfig()
        self._output_dir = output_dir or os.getcwd()
        self._output_filename = output_filename
        _format(self._output_filename or "x.tar.gz")  # a bad name fails now, not after compiling
        self.output_path: str | None = None

    @property
    def config(self) -> KubeflowDagRunnerConfig:
        return self._config

    def run(self, pipeline: Pipeline) -> str:
        """Compile and write the package; returns its path.

        The operator funcs' settings go into every node's resources first (as TFX applied the
        funcs to every ContainerOp), so `headrace compile FILE` compiles the same steps."""
        pipeline = _checked(pipeline)
        self._config.settings.apply(pipeline.nodes)
        options = self._config.options()
        offer(pipeline, options)
        from headrace.ir import build

        ir = build(pipeline)
        if not options.image:
            from headrace import images

            options = options.override(
                image=images.image_name("cpu"),
                gpu_image=options.gpu_image or images.image_name("gpu"),
            )
        compiled = compile_workflow(ir, options)
        name = self._output_filename or f"{pipeline.name}.tar.gz"
        path = os.path.join(self._output_dir, name)
        os.makedirs(self._output_dir, exist_ok=True)
        _write(path, compiled.yaml)
        self.output_path = path
        return path


def _format(name: str) -> str:
    for suffix in (".tar.gz", ".tgz", ".zip", ".yaml", ".yml"):
        if name.endswith(suffix):
            return suffix
    raise DefinitionError(
        f"KubeflowDagRunner output_filename {name!r} must end in .tar.gz, .tgz, .zip, .yaml or "
        f".yml (the formats TFX wrote)."
    )


def _write(path: str, text: str) -> None:
    data = text.encode()
    suffix = _format(path)
    if suffix in (".yaml", ".yml"):
        with open(path, "wb") as f:
            f.write(data)
    elif suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(PACKAGE_MEMBER, data)
    else:
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo(PACKAGE_MEMBER)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


def read_package(path: str) -> str:
    """The workflow YAML inside a package KubeflowDagRunner wrote (any of its formats)."""
    suffix = _format(path)
    if suffix in (".yaml", ".yml"):
        with open(path) as f:
            return f.read()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            return z.read(PACKAGE_MEMBER).decode()
    with tarfile.open(path, "r:gz") as tar:
        member = tar.extractfile(PACKAGE_MEMBER)
        assert member is not None
        return member.read().decode()


# Whether headrace.compiler can write KFP v2 specs; with it, _compile_kfp_v2 calls it.
KFP_V2_AVAILABLE = True


def _compile_kfp_v2(pipeline: Pipeline, options: CompileOptions, filename: str) -> str:
    """THE call site of the KFP v2 compiler: build the IR and return the spec's text, YAML (what
    KFP uploads) or, for a `.json` file as TFX wrote, the bare PipelineSpec as JSON — KFP's API
    server takes neither Vertex's PipelineJob wrapper TFX wrapped it in nor schema 2.0.0."""
    _require_kfp_v2()
    import json

    import yaml

    from headrace.compiler.kfp_v2 import compile_kfp
    from headrace.ir import build

    text = compile_kfp(build(pipeline), options).yaml
    if not filename.endswith(".json"):
        return text
    documents = [d for d in yaml.safe_load_all(text) if d]
    if len(documents) > 1:
        raise DefinitionError(
            f"KubeflowV2DagRunner: {filename!r} is JSON, which holds one document, but this "
            f"pipeline also needs KFP's Kubernetes platform spec (secrets, volumes or node "
            f"placement); name the output file .yaml instead (output_filename='pipeline.yaml')."
        )
    return json.dumps(documents[0], indent=2, sort_keys=True) + "\n"


def _require_kfp_v2() -> None:
    if not KFP_V2_AVAILABLE:
        not_provided(
            "tfx.orchestration.experimental.KubeflowV2DagRunner",
            "KubeflowDagRunner (the KFP v2 format is not available in this version of Headrace)",
        )


class KubeflowV2DagRunnerConfig:
    """TFX's KubeflowV2DagRunnerConfig(default_image=..., display_name=...)."""

    def __init__(
        self,
        display_name: str | None = None,
        default_image: str | None = None,
        default_commands: Any = None,
        **kwargs: Any,
    ) -> None:
        self.display_name = display_name
        self.default_image = default_image
        self.default_commands = default_commands
        self.kwargs = kwargs


class KubeflowV2DagRunner:
    """TFX's KubeflowV2DagRunner: writes the KFP v2 pipeline spec (schema 2.1.0, what current KFP
    uploads) to output_dir/output_filename (default pipeline.yaml: TFX's pipeline.json cannot
    hold the second document, KFP's Kubernetes platform spec)."""

    def __init__(
        self,
        config: KubeflowV2DagRunnerConfig | None = None,
        output_dir: str | None = None,
        output_filename: str | None = None,
    ) -> None:
        self._config = config or KubeflowV2DagRunnerConfig()
        self._output_dir = output_dir or os.getcwd()
        # TFX's default was pipeline.json; a KFP v2 spec with Kubernetes settings (the root's
        # volume, secrets) is two YAML documents, which one JSON file cannot hold.
        self._output_filename = output_filename or "pipeline.yaml"
        _require_kfp_v2()

    def run(self, pipeline: Pipeline, write_out: bool = True) -> Any:
        offer(pipeline)
        options = CompileOptions(image=self._config.default_image)
        text = _compile_kfp_v2(_checked(pipeline), options, self._output_filename)
        if write_out:
            path = os.path.join(self._output_dir, self._output_filename)
            os.makedirs(self._output_dir, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        return text
