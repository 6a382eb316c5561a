"""A tiny pipeline in kfp's own SDK, to compile with kfp.compiler for the v2 conformance test
(no `from __future__ import annotations`: kfp reads the annotations as real types)."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="tiny-add")
def tiny(a: int = 1, b: int = 2) -> None:
    first = add(a=a, b=b)
    add(a=first.output, b=b)
