"""Views of real TFDV output: statistics (numbers that match the data), the inferred schema, the
anomalies of a drifted split, escaping of a feature named `<script>`, and Facets for Jupyter."""

from __future__ import annotations

import shutil

import pytest

from headrace.types import ExampleStatistics
from headrace.visuals import artifact_html, page, statistics_facets_html
from tests.visuals.conftest import SCRIPT
from tests.visuals.html_text import parse, row, table_rows


def _split(html: str, split: str) -> str:
    """The part of a per-split view that shows `split`."""
    start = html.index(f"<h3>Split {split}</h3>")
    end = html.find("<h3>Split ", start + 1)
    return html[start : end if end > 0 else len(html)]


def test_numeric_statistics_match_the_data(tfdv_artifacts):
    html = artifact_html(tfdv_artifacts.statistics)
    frame = tfdv_artifacts.frame
    _, count, missing, mean, std, low, median, high, zeros, _ = row(
        _split(html, "train"), "body_mass_g"
    )
    assert int(count) == len(frame) and missing == "0.0%"
    assert float(mean) == pytest.approx(frame["body_mass_g"].mean(), rel=1e-3)
    assert float(std) == pytest.approx(frame["body_mass_g"].std(ddof=0), rel=1e-3)
    assert float(low) == pytest.approx(frame["body_mass_g"].min(), abs=1e-4)
    # TFDV's median is a sketch's quantile: near the true one, not equal.
    assert float(median) == pytest.approx(frame["body_mass_g"].median(), abs=0.05)
    assert float(high) == pytest.approx(frame["body_mass_g"].max(), rel=1e-3)
    assert int(zeros) == int((frame["body_mass_g"] == 0).sum())
    assert f"{len(frame)} examples." in _split(html, "train")
    assert html.count('<svg class="hist"') >= 6  # a histogram per numeric feature and split


def test_string_statistics_show_unique_and_top_values(tfdv_artifacts):
    html = artifact_html(tfdv_artifacts.statistics)
    frame = tfdv_artifacts.frame
    _, count, _, unique, top = row(_split(html, "train"), "species_name")
    assert int(count) == len(frame) and int(unique) == frame["species_name"].nunique()
    commonest = frame["species_name"].value_counts()
    assert top.startswith(f"{commonest.index[0]} {commonest.iloc[0]}")
    # The drifted eval split has the species no one had seen.
    assert "Emperor" in row(_split(html, "eval"), "species_name")[4]


def test_the_schema_view_lists_types_presence_and_domains(tfdv_artifacts):
    html = artifact_html(tfdv_artifacts.schema)
    assert row(html, "body_mass_g")[1:3] == ["FLOAT", "required"]
    domain = row(html, "species_name")[4]
    assert all(f"'{name}'" in domain for name in ("Adelie", "Chinstrap", "Gentoo"))
    assert "Emperor" not in domain


def test_the_anomalies_view_names_the_drift_and_says_when_there_is_none(tfdv_artifacts):
    html = artifact_html(tfdv_artifacts.anomalies)
    assert "No anomalies" in _split(html, "train")
    eval_ = _split(html, "eval")
    assert "No anomalies" not in eval_ and "2 anomalies" in eval_
    _, kind, description = row(eval_, "species_name")
    assert "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in kind and "Emperor" in description
    assert row(eval_, "body_mass_g")[1].startswith("Column dropped")


def test_data_is_escaped_everywhere(tfdv_artifacts):
    for artifact in (tfdv_artifacts.statistics, tfdv_artifacts.schema):
        html = artifact_html(artifact)
        parse(html)  # a balanced fragment
        assert SCRIPT not in html and "&lt;script&gt;" in html
        assert SCRIPT in {r[0] for r in table_rows(html)}  # shown as text, as it is named
    document = page(SCRIPT, artifact_html(tfdv_artifacts.statistics))
    parsed = parse(document)  # balanced, nothing fetched from the network
    assert "script" not in parsed.tags and "<title>&lt;script&gt;" in document


def test_a_split_without_its_file_is_a_note_not_an_error(tfdv_artifacts, tmp_path):
    copy = tmp_path / "statistics"
    shutil.copytree(tfdv_artifacts.statistics.uri, copy)
    (copy / "Split-eval" / "FeatureStats.pb").write_bytes(b"not a proto")
    shutil.rmtree(copy / "Split-train")
    artifact = ExampleStatistics(str(copy), dict(tfdv_artifacts.statistics.properties))
    html = artifact_html(artifact)
    train, eval_ = _split(html, "train"), _split(html, "eval")
    assert "Cannot read the statistics" in train and "FeatureStats.pb" in train
    assert "Cannot read the statistics" in eval_


def test_facets_overview_for_jupyter(tfdv_artifacts):
    html = statistics_facets_html(tfdv_artifacts.statistics, split="eval", compare_split="train")
    assert "facets-overview" in html
    assert statistics_facets_html(tfdv_artifacts.statistics) != html  # default: train alone
    with pytest.raises(ValueError, match=r"splits \['train', 'eval'\]; split='test'"):
        statistics_facets_html(tfdv_artifacts.statistics, split="test")
