"""`tfx.orchestration.kubeflow`: the Kubeflow runner."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("orchestration.kubeflow", ("kubeflow_dag_runner", "proto"))
