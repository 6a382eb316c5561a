"""`tfx.dsl.components.base.executor_spec`: ExecutorClassSpec."""

from headrace.tfx.custom import ExecutorClassSpec, ExecutorContainerSpec
from headrace.tfx.unsupported import module_getattr

BeamExecutorSpec = ExecutorClassSpec

__all__ = ["BeamExecutorSpec", "ExecutorClassSpec", "ExecutorContainerSpec"]

__getattr__ = module_getattr("dsl.components.base.executor_spec", ())
