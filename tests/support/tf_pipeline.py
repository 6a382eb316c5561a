"""One node that imports TensorFlow, for tests of what `headrace run` prints around it."""

from __future__ import annotations

import os

from headrace import Output, Pipeline, component
from headrace.types import Model


@component
def touch_tensorflow(model: Output[Model]) -> None:
    """Import TensorFlow (its CUDA plugins log at import on a CPU machine) and write a file."""
    import tensorflow as tf

    with open(os.path.join(model.uri, "version.txt"), "w") as f:
        f.write(tf.__version__)


pipeline = Pipeline(name="tf-noise", components=[touch_tensorflow()])
