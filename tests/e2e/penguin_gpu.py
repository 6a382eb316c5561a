"""The penguin example with a GPU asked for its Trainer: what the cluster end-to-end scripts
compile (scripts/local-cluster-e2e.sh), inside Headrace's image, where the example lives in
/app/examples/penguin. No GPU here: the cluster advertises one as an extended resource, so the
Trainer's pod schedules on it, and TensorFlow trains on the CPU."""

from __future__ import annotations

import os

from headrace.dsl.loader import import_file

EXAMPLE = os.environ.get("HEADRACE_PENGUIN", "/app/examples/penguin/pipeline.py")


def create_pipeline():
    pipeline = import_file(EXAMPLE).create_pipeline()
    [trainer] = [node for node in pipeline.components if node.id == "Trainer"]
    trainer.with_resources(cpu="500m", memory="2Gi", gpu=1)
    return pipeline
