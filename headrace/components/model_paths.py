"""Where a Model artifact keeps its SavedModel: `<uri>/Format-Serving/` (TFX 1.x layout), or
the artifact directory itself (models written by older TFX or by hand)."""

from __future__ import annotations

import os

from headrace.components.data_errors import DataError
from headrace.components.fn_args import SERVING_MODEL_DIR
from headrace.types import Model

_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def find_serving_model(model: Model) -> str | None:
    """The SavedModel directory of `model`, or None if it holds no SavedModel."""
    for path in (os.path.join(model.uri, SERVING_MODEL_DIR), model.uri):
        if any(os.path.isfile(os.path.join(path, f)) for f in _SAVED_MODEL_FILES):
            return path
    return None


def serving_model_path(model: Model, *, component: str) -> str:
    """The SavedModel directory of `model`; a DataError saying where it looked if there is none."""
    path = find_serving_model(model)
    if path is None:
        raise DataError(
            f"{component}: the Model artifact at {model.uri} holds no SavedModel (looked for "
            f"saved_model.pb in {os.path.join(model.uri, SERVING_MODEL_DIR)} and in the artifact "
            f"directory). The Trainer's run_fn must save the model to fn_args.serving_model_dir."
        )
    return path
