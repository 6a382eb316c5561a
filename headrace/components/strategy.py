"""The distribution strategy a Trainer module should train under, and which devices it sees.

A node gets its GPUs from its resources (`Trainer(...).with_resources(gpu=2)`): Kubernetes
exposes them to the container, and TensorFlow sees them as `/GPU:0`, `/GPU:1`, ... Use the
helper in a module file so that the same file trains on a laptop CPU and on a GPU node:

    from headrace.components.strategy import distribution_strategy

    def run_fn(fn_args):
        with distribution_strategy().scope():
            model = build_model()
        model.fit(...)
"""

from __future__ import annotations

from typing import Any


def distribution_strategy() -> Any:
    """`tf.distribute.MirroredStrategy` over all GPUs when there are two or more, else
    TensorFlow's default strategy (one GPU if there is one, the CPU otherwise).

    Build and compile the model inside `strategy.scope()`; `model.fit` then splits each batch
    across the replicas (multiply the batch size by `strategy.num_replicas_in_sync` to keep the
    per-GPU batch size).
    """
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([g.name for g in gpus])
    return tf.distribute.get_strategy()


def describe_devices() -> str:
    """One line naming the devices TensorFlow will use, for the Trainer's and Tuner's logs."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    cpus = tf.config.list_logical_devices("CPU")
    if not gpus:
        return f"no GPU visible; training on CPU ({', '.join(d.name for d in cpus)})"
    strategy = "MirroredStrategy" if len(gpus) > 1 else "default strategy"
    names = ", ".join(d.name for d in gpus)
    return f"{len(gpus)} GPU(s) visible: {names} (distribution_strategy() gives {strategy})"
