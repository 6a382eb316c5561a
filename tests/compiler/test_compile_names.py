"""Kubernetes names: DNS-1123, at most 63 characters, stable, collision-free."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from headrace.compiler.names import MAX_NAME, generate_name, k8s_name, unique_names
from headrace.ir import dns_name

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,99}", fullmatch=True)


def test_short_names_are_just_kebab_case():
    assert k8s_name("CsvExampleGen") == "csv-example-gen"
    assert k8s_name("my_node.v2") == "my-node-v2"


def test_long_names_keep_a_readable_head_and_end_in_a_hash():
    long_a = "transform_" + "a" * 80 + "_one"
    long_b = "transform_" + "a" * 80 + "_two"
    a, b = k8s_name(long_a), k8s_name(long_b)
    assert len(a) == len(b) == MAX_NAME
    assert a.startswith("transform-aaaa") and a != b
    assert k8s_name(long_a) == a  # stable


def test_a_reserved_name_is_never_handed_out():
    names = unique_names(["headrace_dag", "other"], reserved=["headrace-dag"])
    assert names["headrace_dag"] != "headrace-dag"
    assert names["headrace_dag"].startswith("headrace-dag-")
    assert names["other"] == "other"


def test_generate_name_leaves_room_for_the_random_suffix():
    assert generate_name("penguin_simple") == "penguin-simple-"
    long = generate_name("p" * 100)
    assert long.endswith("-") and len(long) <= 58


@given(st.lists(ids, min_size=1, max_size=20, unique_by=dns_name))
def test_names_are_dns_labels_within_63_and_distinct(texts):
    names = unique_names(texts, reserved=["headrace-dag"])
    for name in names.values():
        assert len(name) <= MAX_NAME and DNS_LABEL.fullmatch(name), name
    assert len(set(names.values())) == len(texts)
    assert "headrace-dag" not in names.values()
    assert unique_names(texts, reserved=["headrace-dag"]) == names


@given(ids)
def test_generated_names_fit_kubernetes(text):
    base = generate_name(text)
    assert len(base) <= 58 and DNS_LABEL.fullmatch(base[:-1])
