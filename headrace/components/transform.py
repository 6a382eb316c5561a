"""Transform: a user's TensorFlow Transform `preprocessing_fn` analysed with Beam over the raw
examples, written as a TransformGraph (TFT's layout) and as transformed Examples."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment"

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping
from typing import Any

from headrace.components.fn_args import split_dir
from headrace.components.module_file import (
    UserFunction,
    load_user_function,
    missing_feature_error,
)
from headrace.components.schema_files import read_schema
from headrace.components.splits import split_names
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.errors import DefinitionError
from headrace.types import Examples, Schema, TransformGraph


@component(name="Transform", file_parameters=("module_file",), beam=True)
def Transform(
    examples: Input[Examples],
    schema: Input[Schema],
    transform_graph: Output[TransformGraph],
    transformed_examples: Output[Examples],
    module_file: Parameter[str] | None = None,
    preprocessing_fn: Parameter[str] | None = None,
    splits_config: Parameter[dict] | None = None,
    custom_config: Parameter[dict] | None = None,
    materialize: Parameter[bool] = True,
    force_tf_compat_v1: Parameter[bool] = False,
    context: ExecutionContext = None,  # type: ignore[assignment]
) -> None:
    """Analyse the raw examples with the user's `preprocessing_fn` (TensorFlow Transform) and
    apply it to every split.

    `module_file` is a Python file defining `preprocessing_fn(inputs)` (or
    `preprocessing_fn(inputs, custom_config)`); alternatively `preprocessing_fn` is a dotted path
    to an importable function. `splits_config` is TFX's SplitsConfig as a dict:
    `{"analyze": ["train"], "transform": ["train", "eval"]}` (defaults: analyse `train`,
    transform every split). With `materialize=False` no transformed examples are written.
    """
    fn = load_user_function(
        component="Transform",
        function="preprocessing_fn",
        module_file=module_file,
        function_path=preprocessing_fn,
    )
    analyze, transform = _splits(examples, splits_config, materialize)
    raw_schema = read_schema(schema)
    checked = _CheckedPreprocessingFn(fn, custom_config, {f.name for f in raw_schema.feature})
    # Beam, TFT and tfx-bsl load here, when the node runs (never when a pipeline is built).
    from headrace.components.transform_pipeline import run_transform

    try:
        run_transform(
            split_dirs={
                s: split_dir(examples, s, component="Transform") for s in analyze + transform
            },
            raw_schema=raw_schema,
            preprocessing_fn=checked,
            analyze=analyze,
            transform=transform,
            graph_uri=transform_graph.uri,
            examples_uri=transformed_examples.uri,
            force_tf_compat_v1=force_tf_compat_v1,
            beam_args=context.beam_args,
            temp_dir=os.path.join(context.temp_dir, "tft"),
        )
    except Exception as exc:
        # TFT traces preprocessing_fn inside Beam's graph construction, which may wrap what it
        # raised; the error we made from it says more than the wrapper does.
        if checked.error is not None and checked.error is not exc:
            raise checked.error from exc
        raise
    transformed_examples.properties["split_names"] = json.dumps(sorted(transform))
    for key in ("span", "version"):
        if key in examples.properties:
            transformed_examples.properties[key] = examples.properties[key]


class _CheckedPreprocessingFn:
    """The user's preprocessing_fn, called as TFT calls it; a feature name that is not in the
    schema becomes an error naming the module, the line and the fix."""

    # Beam pickles it (TFT re-traces preprocessing_fn in a worker): it holds the UserFunction,
    # which travels as the module's source, never the function itself.
    def __init__(
        self, fn: UserFunction, custom_config: Mapping[str, Any] | None, features: set[str]
    ) -> None:
        self.fn = fn
        self.features = features
        self.error: Exception | None = None
        takes_config = "custom_config" in inspect.signature(fn.resolve()).parameters
        self.kwargs = {"custom_config": dict(custom_config or {})} if takes_config else {}

    def __call__(self, inputs: dict[str, Any]) -> Any:
        try:
            return self.fn(inputs, **self.kwargs)
        except KeyError as exc:
            clear = missing_feature_error(
                exc, self.fn.filename, component="Transform", known=set(inputs) or self.features
            )
            if clear is None:
                raise
            self.error = clear
            raise clear from exc


def _splits(
    examples: Examples, config: Mapping[str, Any] | None, materialize: bool
) -> tuple[list[str], list[str]]:
    config = dict(config or {})
    unknown = sorted(set(config) - {"analyze", "transform"})
    if unknown:
        raise DefinitionError(
            f"Transform: splits_config has unknown keys {unknown}; it takes 'analyze' and "
            f"'transform', e.g. {{'analyze': ['train'], 'transform': ['train', 'eval']}}."
        )
    analyze = list(config.get("analyze") or ["train"])
    transform = list(config.get("transform") or split_names(examples)) if materialize else []
    import tensorflow as tf

    for split in [*analyze, *transform]:
        split_dir(examples, split, component="Transform")  # raises naming the splits there are
    for split in analyze:
        directory = split_dir(examples, split, component="Transform")
        if not [f for f in tf.io.gfile.listdir(directory) if not f.startswith(".")]:
            raise DefinitionError(
                f"Transform: split {split!r} of the examples at {examples.uri} has no files, so "
                f"there is nothing to analyse; analyse another split (splits_config['analyze'])."
            )
    return analyze, transform
