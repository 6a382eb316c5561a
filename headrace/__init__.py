"""Headrace: TFX-style ML pipelines that run locally or compile to one Argo Workflow."""

import os

# TFT, TFMA and tfx-bsl expect tf-keras; this must be set before TensorFlow is first imported,
# and every process that runs Headrace code imports this package first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


from headrace.dsl import (
    Input,
    Output,
    Parameter,
    Pipeline,
    Resources,
    RuntimeParameter,
    component,
    container_component,
)

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Output",
    "Parameter",
    "Pipeline",
    "Resources",
    "RuntimeParameter",
    "__version__",
    "component",
    "container_component",
]
