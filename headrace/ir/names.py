"""Which node and pipeline names are valid, and the Kubernetes (DNS-1123) form of a name."""

from __future__ import annotations

import re

# A node id or pipeline name: letters, digits, '_', '-' and '.', starting with a letter, so that
# every valid name has a non-empty DNS-1123 form. 100 characters leaves room for suffixes.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def name_problem(name: str) -> str | None:
    """Why `name` cannot become a Kubernetes name, or None if it can."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return (
            f"{name!r} cannot become a Kubernetes name: use 1-100 characters, letters, digits, "
            f"'_', '-' or '.', starting with a letter"
        )
    if not dns_name(name):
        return f"{name!r} has no letters or digits to build a Kubernetes name from"
    return None


def dns_name(name: str) -> str:
    """The DNS-1123 label form: `CsvExampleGen` -> `csv-example-gen`, `my_node.v2` -> `my-node-v2`.

    Not shortened: the compiler shortens with a hash suffix where 63 characters is the limit.
    """
    kebab = _CAMEL.sub("-", name).lower()
    kebab = re.sub(r"[^a-z0-9]+", "-", kebab)
    return kebab.strip("-")
