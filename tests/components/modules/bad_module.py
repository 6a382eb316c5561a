"""Module-file mistakes the bad-input tests make on purpose. As a module_file it defines neither
`run_fn` nor `preprocessing_fn`, only an Estimator-era `trainer_fn`; the other functions are
reached by dotted path (`tests.components.modules.bad_module.<name>`)."""

from __future__ import annotations

from typing import Any

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import schema_utils


def trainer_fn(trainer_fn_args: Any, schema: Any) -> Any:
    """TFX's Estimator entry point, which Headrace does not call."""
    raise AssertionError("never called")


def _check_inputs(rows: Any) -> None:
    raise ValueError(f"bad penguin data: {len(rows)} rows")


def run_fn_that_raises(fn_args: Any) -> None:
    _check_inputs(fn_args.train_files)


def run_fn_with_a_typo(fn_args: Any) -> None:
    schema = schema_pb2.Schema()
    with open(fn_args.schema_file) as f:
        text_format.Parse(f.read(), schema)
    feature_spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    feature_spec.pop("speceis")  # the label is "species"


def run_fn_that_saves_nothing(fn_args: Any) -> None:
    pass


def preprocessing_fn_with_a_typo(inputs: dict[str, Any]) -> dict[str, Any]:
    import tensorflow_transform as tft

    return {
        "culmen_length_xf": tft.scale_to_z_score(inputs["culmen_length_mm"]),
        "body_mass_xf": tft.scale_to_z_score(inputs["body_mass_kg"]),
    }


def tuner_fn_returning_a_dict(fn_args: Any) -> dict[str, Any]:
    return {"tuner": None, "fit_kwargs": {}}
