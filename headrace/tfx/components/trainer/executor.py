"""`tfx.components.trainer.executor`: TrainerFnArgs (TFX's older FnArgs) and GenericExecutor."""

from headrace.components import FnArgs
from headrace.tfx.unsupported import module_getattr

TrainerFnArgs = FnArgs


class GenericExecutor:
    """TFX's generic (run_fn) Trainer executor: what Headrace's Trainer always runs."""


class Executor(GenericExecutor):
    """TFX's estimator executor name; Headrace's Trainer runs run_fn like GenericExecutor."""


__all__ = ["Executor", "GenericExecutor", "TrainerFnArgs"]

__getattr__ = module_getattr("components.trainer.executor", ())
