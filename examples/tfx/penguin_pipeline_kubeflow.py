"""TFX's penguin pipeline compiled for Kubeflow Pipelines the way TFX 1.15 did it, with
`KubeflowDagRunner` (removed in TFX 1.16), unchanged:

    python examples/tfx/penguin_pipeline_kubeflow.py     # writes ./penguin_kubeflow.tar.gz
    headrace compile examples/tfx/penguin_pipeline_kubeflow.py -o workflow.yaml

The package holds `pipeline.yaml`, Headrace's Argo Workflow (upload it to KFP, or `headrace
upload`). The runner config's image, metadata config and operator funcs (every step gets a GPU
and an env variable from a Secret here) become Headrace's compile options.
"""

import os

from kubernetes import client as k8s
from penguin_pipeline_local import _create_pipeline
from tfx import v1 as tfx

_pipeline_name = "penguin_kubeflow"

# Paths inside the steps' image and on the pipeline-root volume of the cluster.
_pipeline_root = os.path.join("/mnt/headrace", "tfx", _pipeline_name)
_data_root = "/app/examples/penguin/data"
_module_file = "/app/examples/penguin/penguin_utils.py"
_serving_model_dir = os.path.join("/mnt/headrace", "serving_model", _pipeline_name)


def _use_gpu(container_op):
    container_op.set_gpu_limit(1)


def _use_api_token(container_op):
    container_op.container.add_env_variable(k8s.V1EnvVar(
        name="API_TOKEN",
        value_from=k8s.V1EnvVarSource(
            secret_key_ref=k8s.V1SecretKeySelector(name="penguin-secrets", key="token"))))


if __name__ == "__main__":
    metadata_config = tfx.orchestration.experimental.get_default_kubeflow_metadata_config()
    runner_config = tfx.orchestration.experimental.KubeflowDagRunnerConfig(
        kubeflow_metadata_config=metadata_config,
        tfx_image=os.environ.get("KUBEFLOW_TFX_IMAGE", "registry.example.com/ml/headrace:1"),
        pipeline_operator_funcs=[_use_gpu, _use_api_token])
    tfx.orchestration.experimental.KubeflowDagRunner(config=runner_config).run(
        _create_pipeline(
            pipeline_name=_pipeline_name,
            pipeline_root=_pipeline_root,
            data_root=_data_root,
            module_file=_module_file,
            serving_model_dir=_serving_model_dir,
            metadata_path=None))
