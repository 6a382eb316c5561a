"""Views that need no TFX library: Examples (splits, rows, shards), blessings, any other type
(properties and files), and a page that stands alone."""

from __future__ import annotations

import json
import subprocess
import sys

from headrace.types import Artifact, Examples, InfraBlessing, ModelBlessing, Schema
from headrace.visuals import artifact_html, page
from headrace.visuals.files import MAX_FILES
from tests.visuals.html_text import parse, row


def _examples(tmp_path) -> Examples:
    for split, sizes in (("train", [3000, 1000]), ("eval", [500])):
        directory = tmp_path / "examples" / f"Split-{split}"
        directory.mkdir(parents=True)
        for i, n in enumerate(sizes):
            (directory / f"data_tfrecord-{i:05d}-of-{len(sizes):05d}.gz").write_bytes(b"x" * n)
    return Examples(
        str(tmp_path / "examples"),
        {
            "split_names": '["train", "eval"]',
            "span": 4,
            "version": 2,
            "rows_per_split": json.dumps({"train": 300, "eval": 100}),
            "column_types": json.dumps({"body_mass_g": "float", "<island>": "string"}),
        },
        id=17,
    )


def test_examples_show_splits_rows_shards_and_columns(tmp_path):
    html = artifact_html(_examples(tmp_path))
    assert row(html, "train") == ["train", "300", "75.0%", "2", "3.9 KiB"]
    assert row(html, "eval") == ["eval", "100", "25.0%", "1", "500 B"]
    assert row(html, "span") == ["span", "4"] and row(html, "version") == ["version", "2"]
    assert row(html, "data_tfrecord-00001-of-00002.gz") == [
        "data_tfrecord-00001-of-00002.gz",
        "1000 B",
    ]
    assert row(html, "<island>") == ["<island>", "string"] and "&lt;island&gt;" in html
    assert "Examples #17" in html
    parse(html)  # a balanced fragment


def test_a_missing_split_directory_is_a_note(tmp_path):
    examples = _examples(tmp_path)
    examples.properties["split_names"] = '["train", "eval", "test"]'
    html = artifact_html(examples)
    assert row(html, "test")[3] == "missing" and "Split-test is missing" in html


def test_blessings_say_whether_and_why():
    html = artifact_html(
        ModelBlessing(
            "/nowhere", {"blessed": False, "reason": "accuracy 0.4 < 0.6", "current_model_id": 3}
        )
    )
    assert "Not blessed" in html and "accuracy 0.4 &lt; 0.6" in html
    assert row(html, "current_model_id") == ["current_model_id", "3"]
    assert ">Blessed<" in artifact_html(InfraBlessing("/nowhere", {"blessed": 1}))  # TFX's int


def test_a_blessing_without_the_property_reads_the_marker_file(tmp_path):
    (tmp_path / "NOT_BLESSED").touch()
    assert "Not blessed" in artifact_html(ModelBlessing(str(tmp_path)))
    (tmp_path / "NOT_BLESSED").unlink()
    (tmp_path / "BLESSED").touch()
    assert ">Blessed<" in artifact_html(ModelBlessing(str(tmp_path)))


class Embeddings(Artifact):
    """A custom artifact type."""

    PROPERTIES = {"dimensions": int}


def test_any_other_type_shows_properties_and_files(tmp_path):
    (tmp_path / "vectors").mkdir()
    for i in range(MAX_FILES + 5):
        (tmp_path / "vectors" / f"part-{i:03d}.npy").write_bytes(b"0" * (i + 1))
    html = artifact_html(Embeddings(str(tmp_path), {"dimensions": 64, "labels": ["a", "<b>"]}))
    assert row(html, "dimensions") == ["dimensions", "64"]
    assert row(html, "labels") == ["labels", '["a", "<b>"]']
    assert row(html, "vectors/part-000.npy") == ["vectors/part-000.npy", "1 B"]
    assert f"{MAX_FILES + 5} file(s)" in html and "… and 5 more files." in html


def test_missing_or_unreadable_contents_are_notes_never_exceptions(tmp_path):
    assert "does not exist" in artifact_html(Embeddings(str(tmp_path / "gone")))
    html = artifact_html(Schema(str(tmp_path / "gone")))
    assert "Cannot show this Schema" in html and "gone" in html
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.pbtxt").write_text("feature { name: 'x' type: NOT_A_TYPE }")
    assert "Cannot show this Schema" in artifact_html(Schema(str(tmp_path / "schema")))
    assert "not on a local filesystem" in artifact_html(Embeddings("gs://bucket/x"))


def test_a_page_is_self_contained_and_escapes_its_title():
    document = page("a <b> & c", "<p>body</p>")
    assert document.startswith("<!DOCTYPE html>") and "<style>" in document
    assert "<title>a &lt;b&gt; &amp; c</title>" in document
    parsed = parse(document)
    assert "script" not in parsed.tags and "link" not in parsed.tags


def test_importing_the_views_imports_no_heavy_library():
    heavy = ("tensorflow", "tensorflow_data_validation", "tensorflow_model_analysis", "apache_beam")
    code = f"import sys, headrace.visuals; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_embedded_fragment_styles_only_itself(tmp_path):
    import re

    from headrace.visuals import embedded

    html = embedded(artifact_html(_examples(tmp_path)))
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    selectors = [s for rule in re.findall(r"([^{}]+)\{", css) for s in rule.split(",")]
    assert selectors and all(s.startswith(".headrace-view") for s in selectors), selectors
    assert html.startswith('<div class="headrace-view">')
    assert ".headrace-view table{" in css  # the page's table style, confined
