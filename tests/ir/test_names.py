"""Node and pipeline names: which are valid, and their Kubernetes (DNS-1123 label) form."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from headrace.ir import dns_name, name_problem
from headrace.ir.names import NAME

DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

valid_names = st.from_regex(NAME, fullmatch=True)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CsvExampleGen", "csv-example-gen"),
        ("StatisticsGen", "statistics-gen"),
        ("my_node.v2", "my-node-v2"),
        ("HTTPServer", "http-server"),
        ("trainerV2", "trainer-v2"),
        ("Trainer2", "trainer2"),
        ("a--b__c..d", "a-b-c-d"),
        ("x_", "x"),
        ("already-fine", "already-fine"),
    ],
)
def test_dns_name_examples(name, expected):
    assert name_problem(name) is None
    assert dns_name(name) == expected


@given(valid_names)
@example("A")
@example("a" + "_" * 99)
@example("Z" * 100)
def test_every_accepted_name_gives_a_dns_1123_label(name):
    assert name_problem(name) is None
    label = dns_name(name)
    assert DNS_1123_LABEL.match(label), label
    assert label[0].isalpha()  # names start with a letter, and so do their labels
    assert dns_name(label) == label  # a label is its own Kubernetes name


@given(st.text(max_size=120))
@example("")
@example("1abc")
@example("a b")
@example("a" * 101)
def test_a_name_is_either_accepted_with_a_label_or_rejected_with_a_reason(name):
    problem = name_problem(name)
    if problem is None:
        assert DNS_1123_LABEL.match(dns_name(name))
    else:
        assert problem.startswith(f"{name!r} cannot become a Kubernetes name: use 1-100 characters")


@pytest.mark.parametrize(
    "bad", ["", "1abc", "_x", "-x", ".x", "a b", "a/b", "a:b", "naïve", "x" * 101, "a\n"]
)
def test_rejected_names_get_a_message(bad):
    problem = name_problem(bad)
    assert problem == (
        f"{bad!r} cannot become a Kubernetes name: use 1-100 characters, letters, digits, "
        f"'_', '-' or '.', starting with a letter"
    )


def test_a_name_that_is_not_a_string_is_rejected():
    assert "None cannot become a Kubernetes name" in name_problem(None)  # type: ignore[arg-type]
    assert "3 cannot become a Kubernetes name" in name_problem(3)  # type: ignore[arg-type]
