"""Kubernetes names for the workflow, its templates and tasks: DNS-1123 labels of at most 63
characters, stable for the same input, and collision-free (a hash suffix when shortened)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from headrace.ir import dns_name

MAX_NAME = 63
# Kubernetes appends 5 random characters to a generateName and keeps the base to 58.
MAX_GENERATE_BASE = MAX_NAME - 5
_DIGEST = 8


def k8s_name(text: str, limit: int = MAX_NAME) -> str:
    """`text` as a DNS-1123 label of at most `limit` characters.

    Names that fit are just kebab-cased (`CsvExampleGen` -> `csv-example-gen`) so users
    recognise them; longer ones keep a readable head and end in a hash of the full text, so two
    long names that share a head still differ and the same text always gives the same name.
    """
    base = dns_name(text) or "x"
    return base if len(base) <= limit else _hashed(base, text, limit)


def _hashed(base: str, text: str, limit: int) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:_DIGEST]
    head = base[: limit - _DIGEST - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def unique_names(
    texts: Iterable[str], *, reserved: Iterable[str] = (), limit: int = MAX_NAME
) -> dict[str, str]:
    """A distinct k8s name for each text, none equal to a reserved name.

    The IR already rejects two nodes with the same kebab-case form, so a clash here can only
    come from a reserved name or from shortening; the later text then gets a hash suffix.
    """
    taken = set(reserved)
    names: dict[str, str] = {}
    for text in texts:
        name = k8s_name(text, limit)
        salt = 0
        while name in taken:
            name = _hashed(dns_name(text) or "x", f"{text}#{salt}", limit)
            salt += 1
        taken.add(name)
        names[text] = name
    return names


def generate_name(pipeline: str) -> str:
    """The workflow's `metadata.generateName`: the pipeline's k8s name and a dash."""
    return k8s_name(pipeline, MAX_GENERATE_BASE - 1) + "-"
