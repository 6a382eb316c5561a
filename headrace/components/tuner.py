"""Tuner: runs the KerasTuner search the user's `tuner_fn(fn_args)` sets up and keeps the best
hyperparameters (TFX's `best_hyperparameters.txt`), which a Trainer takes as input."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import json
import logging
import os
from typing import Any, NamedTuple

from headrace.components.fn_args import HYPERPARAMETERS_FILE, common_fn_args
from headrace.components.module_file import UserModuleError, load_user_function
from headrace.components.user_fn_call import call_with_fn_args
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.types import Examples, HyperParameters, Schema, TransformGraph

log = logging.getLogger(__name__)


class TunerFnResult(NamedTuple):
    """What `tuner_fn` returns (TFX's TunerFnResult): a KerasTuner tuner and the keyword
    arguments of its `search()` (e.g. `x`, `validation_data`, `steps_per_epoch`)."""

    tuner: Any
    fit_kwargs: dict[str, Any]


@component(name="Tuner", file_parameters=("module_file",))
def Tuner(
    examples: Input[Examples],
    best_hyperparameters: Output[HyperParameters],
    transform_graph: Input[TransformGraph] | None = None,
    schema: Input[Schema] | None = None,
    module_file: Parameter[str] | None = None,
    tuner_fn: Parameter[str] | None = None,
    train_args: Parameter[dict] | None = None,
    eval_args: Parameter[dict] | None = None,
    custom_config: Parameter[dict] | None = None,
    context: ExecutionContext = None,  # type: ignore[assignment]
) -> None:
    """Search hyperparameters with the tuner the user's `tuner_fn(fn_args)` returns.

    `module_file` is a Python file defining `tuner_fn`; alternatively `tuner_fn` is a dotted
    path to an importable function. `tuner_fn` gets the same FnArgs as a Trainer's run_fn
    (`fn_args.working_dir` is the tuner's scratch directory) and returns a `TunerFnResult`
    (`headrace.components.tuner.TunerFnResult` or TFX's). The best trial's HyperParameters config
    is written as JSON to `best_hyperparameters.txt`.
    """
    fn = load_user_function(
        component="Tuner", function="tuner_fn", module_file=module_file, function_path=tuner_fn
    )
    fn_args = common_fn_args(
        component="Tuner",
        examples=examples,
        transform_graph=transform_graph,
        schema=schema,
        train_args=train_args,
        eval_args=eval_args,
        custom_config=custom_config,
        working_dir=os.path.join(context.temp_dir, "tuner"),
    )
    result = call_with_fn_args(fn, fn_args, component="Tuner")
    tuner, fit_kwargs = _unpack(result)
    tuner.search_space_summary()
    tuner.search(**fit_kwargs)
    tuner.results_summary()
    best = tuner.get_best_hyperparameters(num_trials=1)
    if not best:
        raise UserModuleError(
            "Tuner: the search finished without a completed trial, so there are no best "
            "hyperparameters; check the trials' errors above and the tuner's max_trials."
        )
    config = best[0].get_config()
    import tensorflow as tf

    with tf.io.gfile.GFile(os.path.join(best_hyperparameters.uri, HYPERPARAMETERS_FILE), "w") as f:
        f.write(json.dumps(config))
    best_hyperparameters.properties["best_values"] = json.loads(json.dumps(best[0].values))
    trials = tuner.oracle.get_best_trials(num_trials=1)
    if trials and trials[0].score is not None:
        best_hyperparameters.properties["best_score"] = float(trials[0].score)
    log.info("Tuner: best hyperparameters %s", best[0].values)


def _unpack(result: Any) -> tuple[Any, dict[str, Any]]:
    tuner = getattr(result, "tuner", None)
    fit_kwargs = getattr(result, "fit_kwargs", None)
    if tuner is None or not hasattr(tuner, "search") or not isinstance(fit_kwargs, dict):
        raise UserModuleError(
            f"Tuner: tuner_fn returned {type(result).__name__}; it must return "
            f"TunerFnResult(tuner=<a KerasTuner tuner>, fit_kwargs={{...}}) "
            f"(from headrace.components.tuner import TunerFnResult)."
        )
    return tuner, fit_kwargs
