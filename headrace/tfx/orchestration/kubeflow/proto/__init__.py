"""`tfx.orchestration.kubeflow.proto`: kubeflow_pb2."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("orchestration.kubeflow.proto", ("kubeflow_pb2",))
