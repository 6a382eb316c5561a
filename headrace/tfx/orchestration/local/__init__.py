"""`tfx.orchestration.local`: the local runner."""

from headrace.tfx.unsupported import module_getattr

__getattr__ = module_getattr("orchestration.local", ("local_dag_runner",))
