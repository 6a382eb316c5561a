"""Calling a module file's `run_fn(fn_args)` or `tuner_fn(fn_args)`: the devices logged, AutoGraph
kept out of library internals, and a feature name the data does not have made into an error that
names the module, the line and the fix (every other exception passes through unchanged)."""

from __future__ import annotations

import logging
import os
from typing import Any

from headrace.components.fn_args import FnArgs
from headrace.components.module_file import UserFunction, missing_feature_error
from headrace.components.schema_files import SCHEMA_FILE, parse_schema

log = logging.getLogger(__name__)


def call_with_fn_args(fn: UserFunction, fn_args: FnArgs, *, component: str) -> Any:
    from headrace.components.autograph import skip_library_internals
    from headrace.components.strategy import describe_devices

    skip_library_internals()
    log.info("%s: %s", component, describe_devices())
    try:
        return fn(fn_args)
    except KeyError as exc:
        known = known_feature_names(fn_args)
        clear = (
            missing_feature_error(exc, fn.filename, component=component, known=known)
            if known
            else None
        )
        if clear is None:
            raise
        raise clear from exc


def known_feature_names(fn_args: FnArgs) -> set[str]:
    """Feature names a module may look up: the raw schema's and the transform's outputs."""
    import tensorflow as tf

    paths = [fn_args.schema_path] if fn_args.schema_path else []
    if fn_args.transform_graph_path:
        for sub in ("metadata", "transformed_metadata"):
            paths.append(os.path.join(fn_args.transform_graph_path, sub, SCHEMA_FILE))
    names: set[str] = set()
    for path in paths:
        if not tf.io.gfile.exists(path):
            continue
        with tf.io.gfile.GFile(path) as f:
            schema = parse_schema(f.read(), path)
        names |= {f.name for f in schema.feature}
        names |= {f.name for f in schema.sparse_feature}
        for group in schema.tensor_representation_group.values():
            names |= set(group.tensor_representation)
    return names
