"""SchemaGen infers `schema.pbtxt` from the train split's statistics (feature shapes optional);
ImportSchemaGen takes a user's schema file and fails clearly on a missing or invalid one."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.components.data_errors import DataError
from headrace.components.schema_gen import ImportSchemaGen, SchemaGen
from headrace.types import ExampleStatistics


def _load(schema):
    import tensorflow_data_validation as tfdv

    return tfdv.load_schema_text(str(Path(schema.uri, "schema.pbtxt")))


def _types(schema):
    from tensorflow_metadata.proto.v0 import schema_pb2

    return {f.name: schema_pb2.FeatureType.Name(f.type) for f in schema.feature}


def test_schema_inferred_from_the_train_split(clean_schema):
    schema = _load(clean_schema)
    assert sorted(p.name for p in Path(clean_schema.uri).iterdir()) == ["schema.pbtxt"]
    assert _types(schema) == {
        "body_mass_g": "FLOAT",
        "culmen_depth_mm": "FLOAT",
        "culmen_length_mm": "FLOAT",
        "flipper_length_mm": "FLOAT",
        "species": "INT",
        "species_name": "BYTES",
    }
    [domain] = schema.string_domain
    assert list(domain.value) == ["Adelie", "Chinstrap", "Gentoo"]


def test_only_the_train_split_by_default_tfx_style_with_exclude_splits(
    run_component, drifted_statistics
):
    # The drifted eval split must not leak into the schema that is meant to catch it.
    schema = _load(run_component(SchemaGen, statistics=drifted_statistics))
    assert _types(schema)["culmen_length_mm"] == "FLOAT"
    assert "body_mass_g" in _types(schema)
    assert list(schema.string_domain[0].value) == ["Adelie", "Chinstrap", "Gentoo"]

    # exclude_splits (even []) asks for TFX's behaviour: every split not excluded.
    every = _load(run_component(SchemaGen, statistics=drifted_statistics, exclude_splits=[]))
    assert "Emperor" in every.string_domain[0].value
    only_eval = _load(
        run_component(SchemaGen, statistics=drifted_statistics, exclude_splits=["train"])
    )
    assert "body_mass_g" not in _types(only_eval)


def test_no_train_split_uses_all_splits(run_component, clean_statistics):
    eval_only = ExampleStatistics(clean_statistics.uri, {"split_names": '["eval"]'})
    assert "species_name" in _types(_load(run_component(SchemaGen, statistics=eval_only)))


def test_infer_feature_shape(run_component, clean_statistics, clean_schema):
    shaped = _load(clean_schema)  # the default, as in TFX: infer_feature_shape=True
    assert all(f.shape.dim[0].size == 1 and not f.HasField("value_count") for f in shaped.feature)
    unshaped = _load(
        run_component(SchemaGen, statistics=clean_statistics, infer_feature_shape=False)
    )
    assert all(not f.HasField("shape") and f.value_count.min == 1 for f in unshaped.feature)


def test_import_schema_gen_copies_a_valid_schema(run_component, clean_schema, tmp_path):
    text = "# curated by hand\n" + Path(clean_schema.uri, "schema.pbtxt").read_text()
    user_file = tmp_path / "my_schema.pbtxt"
    user_file.write_text(text)
    imported = run_component(ImportSchemaGen, schema_file=str(user_file))
    assert Path(imported.uri, "schema.pbtxt").read_text() == text  # as is, comments kept
    assert _load(imported) == _load(clean_schema)


def test_import_schema_gen_fails_clearly(run_component, tmp_path):
    missing = str(tmp_path / "nope.pbtxt")
    with pytest.raises(DataError, match=r"cannot read schema_file '.*nope.pbtxt' \(No such file"):
        run_component(ImportSchemaGen, schema_file=missing)
    bad = tmp_path / "bad.pbtxt"
    bad.write_text('feature { name: "x" type: FLAOT }\n')
    with pytest.raises(DataError, match=r"bad.pbtxt' is not a text-format .*Schema.*FLAOT"):
        run_component(ImportSchemaGen, schema_file=str(bad))
