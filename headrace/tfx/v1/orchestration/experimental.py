"""`tfx.v1.orchestration.experimental`: the Kubeflow runners (an Argo Workflow; KFP v2)."""

from headrace.tfx.runners import (
    KubeflowDagRunner,
    KubeflowDagRunnerConfig,
    KubeflowV2DagRunner,
    KubeflowV2DagRunnerConfig,
    get_default_kubeflow_metadata_config,
    get_default_pipeline_operator_funcs,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "KubeflowDagRunner",
    "KubeflowDagRunnerConfig",
    "KubeflowV2DagRunner",
    "KubeflowV2DagRunnerConfig",
    "get_default_kubeflow_metadata_config",
    "get_default_pipeline_operator_funcs",
]

__getattr__ = module_getattr("v1.orchestration.experimental", ())
