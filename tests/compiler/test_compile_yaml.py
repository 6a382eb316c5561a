"""The YAML emitter: whatever it writes, a YAML parser reads back as the same document."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace.compiler.yaml_text import dump

TRICKY = ["", " ", "-", "--", "-m", "--flag=x", "- x", "a: b", "a:", ":a", "#x", "a #b", "x#y",
          "yes", "No", "ON", "off", "y", "N", "null", "~", "NULL", "true", "False", ".inf",
          "-.inf", ".nan", "1", "-1", "0x1f", "0o17", "017", "1e3", "1_000", "1:20", "2001-12-14",
          "=", "<<", "*a", "&a", "!tag", "|", ">", "%x", "@x", "`x", "'q'", '"q"', "{{x}}",
          "[a]", "{a: b}", "é", "\u2028", "\x85", "\ufeff", "tab\there", "line\nbreak",
          "\ufffe", "\uffff", "x\ud800", "\U0001f600", "trailing ", " leading", "2Gi", "500m",
          "1.5", ".5", "/mnt/x", "gs://b/p", "---", "..."]
scalars = st.one_of(
    st.sampled_from(TRICKY), st.text(max_size=30), st.integers(), st.booleans(), st.none(),
    st.floats(allow_nan=False),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.one_of(st.sampled_from(TRICKY), st.text(min_size=0, max_size=12)), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=12) | st.sampled_from(TRICKY), documents, max_size=5))
def test_any_document_round_trips(doc):
    text = dump(doc)
    assert yaml.safe_load(text) == (doc or None) or (not doc and text == "")


def test_the_output_is_block_style_with_readable_flags():
    text = dump({"args": ["--node=a", "-m"], "env": [{"name": "X", "value": ""}],
                 "limits": {"cpu": "1", "memory": "2Gi"}})
    assert text == (
        "args:\n- --node=a\n- -m\nenv:\n- name: X\n  value: ''\n"
        "limits:\n  cpu: '1'\n  memory: '2Gi'\n"
    )
