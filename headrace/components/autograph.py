"""Keep AutoGraph out of tf-keras's and TFT's own code, as TensorFlow already does for `keras`.

TensorFlow's AutoGraph skips modules named `keras.*` (Keras' internals are written to be traced
as they are), but the legacy Keras that TFT, TFMA and tfx-bsl need is the package `tf_keras`,
which no rule covers: every first `model.fit` then converts hundreds of tf-keras functions, about
25 seconds on a 2-core machine for a model of two Dense layers (1 second with the rule). Saving a
serving signature that applies `TFTransformOutput.transform_features_layer()` likewise converts
TFT's loader code (12 s of a 14 s save); TFT traces `preprocessing_fn` with `autograph=False`
itself, so its code is known to run unconverted. User code (a model's own `call`, a custom
`train_step`, the serving function in the module file) is converted as before.
"""

from __future__ import annotations

# Packages whose internals run as they are, without AutoGraph conversion.
UNCONVERTED = ("tf_keras", "tensorflow_transform")


def skip_library_internals() -> None:
    """Add `DoNotConvert` rules for UNCONVERTED (idempotent)."""
    from tensorflow.python.autograph.core import config, config_lib

    missing = [
        name
        for name in UNCONVERTED
        if not any(
            isinstance(rule, config_lib.DoNotConvert) and rule.matches(name)
            for rule in config.CONVERSION_RULES
        )
    ]
    # First: the rules are evaluated in order and the first that matches decides.
    config.CONVERSION_RULES = (
        *(config_lib.DoNotConvert(name) for name in missing),
        *config.CONVERSION_RULES,
    )
