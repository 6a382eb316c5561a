"""`tfx.v1.orchestration`: LocalDagRunner, metadata configs and the Kubeflow runners."""

from headrace.tfx.runners import LocalDagRunner
from headrace.tfx.unsupported import module_getattr
from headrace.tfx.v1.orchestration import experimental, metadata

__all__ = ["LocalDagRunner", "experimental", "metadata"]

__getattr__ = module_getattr("v1.orchestration", ("experimental", "metadata"))
