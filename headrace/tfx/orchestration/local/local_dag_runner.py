"""`tfx.orchestration.local.local_dag_runner`: LocalDagRunner."""

from headrace.tfx.runners import LocalDagRunner
from headrace.tfx.unsupported import module_getattr

__all__ = ["LocalDagRunner"]

__getattr__ = module_getattr("orchestration.local.local_dag_runner", ())
