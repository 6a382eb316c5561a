"""Trainer: calls the user's `run_fn(fn_args)` (TFX's generic Keras trainer), which trains and
saves a SavedModel under the Model's `Format-Serving/`; TensorBoard logs go to the ModelRun."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import logging
import os

from headrace.components.fn_args import (
    EVAL_MODEL_DIR,
    SERVING_MODEL_DIR,
    common_fn_args,
)
from headrace.components.module_file import UserModuleError, load_user_function
from headrace.components.user_fn_call import call_with_fn_args
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.types import Examples, HyperParameters, Model, ModelRun, Schema, TransformGraph

log = logging.getLogger(__name__)


@component(name="Trainer", file_parameters=("module_file",))
def Trainer(
    examples: Input[Examples],
    model: Output[Model],
    model_run: Output[ModelRun],
    transform_graph: Input[TransformGraph] | None = None,
    schema: Input[Schema] | None = None,
    hyperparameters: Input[HyperParameters] | None = None,
    base_model: Input[Model] | None = None,
    module_file: Parameter[str] | None = None,
    run_fn: Parameter[str] | None = None,
    train_args: Parameter[dict] | None = None,
    eval_args: Parameter[dict] | None = None,
    custom_config: Parameter[dict] | None = None,
    context: ExecutionContext = None,  # type: ignore[assignment]
) -> None:
    """Train a model with the user's `run_fn(fn_args)`.

    `module_file` is a Python file defining `run_fn`; alternatively `run_fn` is a dotted path
    to an importable function. `examples` are the Transform's transformed examples when there is
    a `transform_graph`, else raw examples (then pass the `schema`). `train_args`/`eval_args` are
    TFX's TrainArgs/EvalArgs as dicts, `{"splits": ["train"], "num_steps": 100}` (defaults: the
    `train`/`eval` split; no step count: until the data runs out). `hyperparameters` (a Tuner's
    best) reach run_fn as `fn_args.hyperparameters`, a KerasTuner HyperParameters config.
    """
    fn = load_user_function(
        component="Trainer",
        function="run_fn",
        module_file=module_file,
        function_path=run_fn,
        alternatives=("trainer_fn",),
    )
    fn_args = common_fn_args(
        component="Trainer",
        examples=examples,
        transform_graph=transform_graph,
        schema=schema,
        train_args=train_args,
        eval_args=eval_args,
        custom_config=custom_config,
        hyperparameters=hyperparameters,
        base_model=base_model,
        working_dir=os.path.join(context.temp_dir, "trainer"),
    )
    fn_args.serving_model_dir = os.path.join(model.uri, SERVING_MODEL_DIR)
    fn_args.eval_model_dir = os.path.join(model.uri, EVAL_MODEL_DIR)
    fn_args.model_run_dir = model_run.uri
    call_with_fn_args(fn, fn_args, component="Trainer")
    import tensorflow as tf

    if not tf.io.gfile.exists(os.path.join(fn_args.serving_model_dir, "saved_model.pb")):
        raise UserModuleError(
            f"Trainer: run_fn returned without saving a SavedModel to fn_args.serving_model_dir "
            f"({fn_args.serving_model_dir}). Save the model there, e.g. "
            f"model.save(fn_args.serving_model_dir, save_format='tf', signatures=...)."
        )
    log.info("Trainer: model written to %s, logs to %s", fn_args.serving_model_dir, model_run.uri)
