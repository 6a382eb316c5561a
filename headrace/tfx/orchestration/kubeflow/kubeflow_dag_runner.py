"""`tfx.orchestration.kubeflow.kubeflow_dag_runner`: KubeflowDagRunner and its config."""

from headrace.tfx.runners import (
    KubeflowDagRunner,
    KubeflowDagRunnerConfig,
    get_default_kubeflow_metadata_config,
    get_default_pipeline_operator_funcs,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "KubeflowDagRunner",
    "KubeflowDagRunnerConfig",
    "get_default_kubeflow_metadata_config",
    "get_default_pipeline_operator_funcs",
]

__getattr__ = module_getattr("orchestration.kubeflow.kubeflow_dag_runner", ())
