"""The cluster the manifests in `manifests/` set up, by name: what `headrace compile` targets when
no flag says otherwise. `tests/manifests` checks that the manifests define exactly these names.

Hosts are short Service names: the workflow's pods run in the same namespace as the services
(`NAMESPACE`), and short names keep working if an overlay moves everything to another namespace.
"""

from __future__ import annotations

NAMESPACE = "headrace"
# The workflow pods' service account, with the Role Argo's emissary executor needs.
SERVICE_ACCOUNT = "headrace-workflow"

# MySQL behind ML Metadata: a dedicated user (MLMD cannot log in as root without a password over
# TCP), its password in a Secret that steps read as HEADRACE_MYSQL_PASSWORD.
MYSQL_SERVICE = "mysql"
MYSQL_PORT = 3306
MYSQL_DATABASE = "metadb"
MYSQL_USER = "headrace"
MYSQL_SECRET = "headrace-mysql"
MYSQL_PASSWORD_KEY = "password"
METADATA_URL = f"mysql://{MYSQL_USER}@{MYSQL_SERVICE}:{MYSQL_PORT}/{MYSQL_DATABASE}"

# Kubeflow's ML Metadata gRPC server over the same MySQL (for tools that speak gRPC, and for
# `--metadata grpc://...`).
METADATA_GRPC_SERVICE = "metadata-grpc-service"
METADATA_GRPC_PORT = 8080
METADATA_GRPC_URL = f"grpc://{METADATA_GRPC_SERVICE}:{METADATA_GRPC_PORT}"

# The pipeline root: a ReadWriteMany claim mounted at the same path in every step and in the
# Beam worker pools of the Flink/Spark overlays (their SDK workers read and write artifacts).
PIPELINE_ROOT_CLAIM = "headrace-pipeline-root"
PIPELINE_ROOT = "/mnt/headrace"

# Beam job servers of the `flink` and `spark` overlays, and the worker-pool sidecar port of
# their TaskManagers / Spark workers (`--environment_config=localhost:PORT`).
JOB_SERVER_PORT = 8099
JOB_ENDPOINTS = {
    "flink": f"flink-job-server:{JOB_SERVER_PORT}",
    "spark": f"spark-job-server:{JOB_SERVER_PORT}",
}
WORKER_POOL_PORT = 50000

# Image names the manifests refer to (tags set with kustomize `images:`).
BEAM_WORKER_IMAGE = "headrace/headrace-beam"
