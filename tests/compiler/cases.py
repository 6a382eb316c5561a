"""The compiled examples every validity test and the golden files cover: each a pipeline and the
options a user would compile it with."""

from __future__ import annotations

from collections.abc import Callable

from headrace.compiler import BeamOptions, CompileOptions, SecretRef
from headrace.ir import PipelineIR
from tests.compiler.pipelines import chain, containers, fan_out, penguin, word_count

FLINK_PVC_MYSQL = CompileOptions(
    image="registry.example.com/headrace:0.1.0",
    gpu_image="registry.example.com/headrace-gpu:0.1.0",
    image_pull_policy="IfNotPresent",
    image_pull_secrets=("registry-credentials",),
    namespace="kubeflow",
    service_account="pipeline-runner",
    pipeline_root="/mnt/pipelines",
    root_volume_claim="headrace-pipelines",
    metadata="mysql://mlmd@mysql.kubeflow.svc:3306/metadb",
    mysql_password_secret=SecretRef(name="mysql-secret", key="password"),
    beam=BeamOptions(runner="flink", job_endpoint="flink-jobserver.flink.svc:8099",
                     nodes=("StatisticsGen", "Evaluator")),
)
SPARK_STEP_GCS_GRPC = CompileOptions(
    image="registry.example.com/headrace:0.1.0",
    pipeline_root="gs://ml-bucket/pipelines",
    metadata="grpc://metadata-grpc-service.kubeflow:8080",
    env={"GOOGLE_CLOUD_PROJECT": "ml-project"},
    secret_env={"GOOGLE_APPLICATION_CREDENTIALS_JSON": SecretRef(name="gcp-sa", key="key.json")},
    beam=BeamOptions(runner="spark", job_endpoint="localhost:8099", worker_pool="step",
                     nodes=("StatisticsGen",)),
    retry_limit=1,
    pod_gc="OnPodSuccess",
)
DIRECT_MINIMAL = CompileOptions(
    image="headrace:dev",
    pipeline_root="s3://bucket/root",
    metadata="mysql://headrace@mysql:3306/mlmd",
    ui_metadata=False,
    retry_limit=0,
    step_timeout_seconds=None,
    workflow_timeout_seconds=None,
    pod_gc=None,
)

GOLDEN: dict[str, Callable[[], tuple[PipelineIR, CompileOptions]]] = {
    "penguin-flink-pvc-mysql": lambda: (penguin(), FLINK_PVC_MYSQL),
    "penguin-spark-step-gcs-grpc": lambda: (penguin(), SPARK_STEP_GCS_GRPC),
    "word-count-direct": lambda: (word_count(), DIRECT_MINIMAL),
}
# Validated against the schemas too, but too big (or too generated) for golden files.
MORE: dict[str, Callable[[], tuple[PipelineIR, CompileOptions]]] = {
    "chain-50": lambda: (chain(50), FLINK_PVC_MYSQL.override(beam=BeamOptions())),
    "fan-out-50": lambda: (fan_out(50), SPARK_STEP_GCS_GRPC.override(beam=BeamOptions())),
    "containers-pvc-mysql": lambda: (containers(), FLINK_PVC_MYSQL.override(beam=BeamOptions())),
    "containers-minimal": lambda: (containers(gpu=0), DIRECT_MINIMAL),
}
