"""Artifact types: type names, the registry, and TFX-style property attribute access."""

from __future__ import annotations

import pytest

from headrace.types import STANDARD_TYPES, Artifact, Examples, Model, Schema, artifact_class


class HeadraceTestLabels(Artifact):
    """A user-defined type without TYPE_NAME: it takes the class name."""


class HeadraceTestRenamed(Artifact):
    TYPE_NAME = "HeadraceTestRenamedType"
    PROPERTIES = {"span": int}


class HeadraceTestSpecialExamples(Examples):
    """A subclass of a standard type does not inherit the parent's TYPE_NAME."""


def test_type_name_defaults_to_class_name_and_registers():
    assert HeadraceTestLabels.TYPE_NAME == "HeadraceTestLabels"
    assert artifact_class("HeadraceTestLabels") is HeadraceTestLabels


def test_explicit_type_name_registers_under_that_name():
    assert artifact_class("HeadraceTestRenamedType") is HeadraceTestRenamed
    assert HeadraceTestRenamed.TYPE_NAME == "HeadraceTestRenamedType"


def test_subclass_gets_its_own_type_name_and_keeps_parent_properties():
    assert HeadraceTestSpecialExamples.TYPE_NAME == "HeadraceTestSpecialExamples"
    assert artifact_class("Examples") is Examples
    assert HeadraceTestSpecialExamples(properties={"span": 2}).span == 2


def test_standard_types_have_tfx_type_names_and_are_registered():
    names = {t.TYPE_NAME for t in STANDARD_TYPES}
    assert {
        "Examples",
        "ExampleStatistics",
        "Schema",
        "ExampleAnomalies",
        "TransformGraph",
        "Model",
        "ModelRun",
        "ModelEvaluation",
        "ModelBlessing",
        "PushedModel",
        "HyperParameters",
        "InferenceResult",
        "InfraBlessing",
    } <= names
    for t in STANDARD_TYPES:
        assert artifact_class(t.TYPE_NAME) is t
    assert artifact_class("Artifact") is Artifact
    assert set(Examples.PROPERTIES) == {"span", "version", "split_names"}


def test_artifact_class_for_unknown_name_is_a_stable_artifact_subclass():
    cls = artifact_class("HeadraceTestNeverDeclared")
    assert issubclass(cls, Artifact) and cls is not Artifact
    assert cls.TYPE_NAME == "HeadraceTestNeverDeclared"
    assert artifact_class("HeadraceTestNeverDeclared") is cls  # the same class every time


def test_declared_properties_read_as_attributes():
    examples = Examples("/data/e", {"split_names": '["train","eval"]', "span": 3})
    assert examples.split_names == '["train","eval"]'
    assert examples.span == 3
    assert examples.version is None  # declared but not set
    assert examples.uri == "/data/e" and examples.id is None


def test_custom_properties_are_not_attributes():
    model = Model("/m", {"blessed": 1})
    assert model.properties["blessed"] == 1
    with pytest.raises(AttributeError, match="Model has no attribute 'blessed'"):
        _ = model.blessed


def test_properties_are_copied_and_repr_shows_them():
    given = {"span": 1}
    examples = Examples("/e", given, id=7)
    given["span"] = 2
    assert examples.properties == {"span": 1}
    assert repr(examples) == "Examples(uri='/e', id=7, properties={'span': 1})"
    assert Schema().properties == {}
