"""Small components shared by the IR tests (module level, so their annotations resolve)."""

from __future__ import annotations

from headrace import Input, Output, Parameter, component
from headrace.types import Examples, ExampleStatistics, Model, Schema


class SpecialExamples(Examples):
    """A subtype of Examples: accepted wherever Examples are expected."""


@component
def gen(examples: Output[Examples], rows: Parameter[int] = 10) -> None:
    """Generate examples."""


@component
def special_gen(examples: Output[SpecialExamples]) -> None:
    """Generate special examples."""


@component
def stats(examples: Input[Examples], statistics: Output[ExampleStatistics]) -> None:
    """Compute statistics."""


@component
def schema_gen(statistics: Input[ExampleStatistics], schema: Output[Schema]) -> None:
    """Infer a schema."""


@component
def relay(examples: Input[Examples], out: Output[Examples]) -> None:
    """Pass examples on."""


@component(file_parameters=("module_file",))
def train(
    examples: Input[Examples],
    model: Output[Model],
    schema: Input[Schema] | None = None,
    steps: Parameter[int] = 100,
    rate: Parameter[float] = 0.1,
    config: Parameter[dict] = None,
    layers: Parameter[list] = None,
    module_file: Parameter[str] = "trainer.py",
    verbose: Parameter[bool] = False,
) -> None:
    """Train a model."""


@component
def needs_epochs(examples: Input[Examples], epochs: Parameter[int]) -> None:
    """Has a required parameter."""
