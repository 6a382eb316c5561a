"""`tfx.orchestration`: pipeline, metadata and the runners (pre-v1 paths)."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("orchestration", ("pipeline", "metadata", "local", "kubeflow"))
