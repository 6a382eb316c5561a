"""`tfx.orchestration.kubeflow.proto.kubeflow_pb2`: KubeflowMetadataConfig and friends."""

from headrace.tfx.protos import messages
from headrace.tfx.unsupported import module_getattr

globals().update(messages("kubeflow"))

__getattr__ = module_getattr("orchestration.kubeflow.proto.kubeflow_pb2", ())
