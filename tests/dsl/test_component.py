"""`@component`: the function signature is the single source of truth for a component's ports."""

from __future__ import annotations

import inspect
import textwrap
import typing

import pytest

from headrace.dsl import (
    Component,
    ExecutionContext,
    Input,
    Node,
    Output,
    Parameter,
    component,
)
from headrace.dsl.component import InputSpec, ParameterSpec
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError
from headrace.types import Examples, Model, Schema


@component
def trainer(
    examples: Input[Examples],
    schema: Input[Schema] | None,
    model: Output[Model],
    steps: Parameter[int],
    learning_rate: Parameter[float] = 0.1,
    config: Parameter[dict] = None,
    layers: Parameter[list[int]] = None,
    module_file: Parameter[str] = "",
) -> None:
    """Train a model.

    The rest of the description.
    """


def test_ports_come_from_the_signature():
    spec = trainer.spec
    assert spec.inputs == {
        "examples": InputSpec(type=Examples, optional=False),
        "schema": InputSpec(type=Schema, optional=True),
    }
    assert spec.outputs == {"model": Model}
    assert list(spec.parameters) == ["steps", "learning_rate", "config", "layers", "module_file"]
    assert spec.parameters["learning_rate"] == ParameterSpec(type=float, default=0.1)
    assert spec.parameters["layers"].type is list  # list[int] is a list parameter


def test_parameter_defaults_decide_what_is_required():
    params = trainer.spec.parameters
    assert params["steps"].required
    assert not params["learning_rate"].required
    assert not params["config"].required and params["config"].default is None


def test_docstring_is_the_description_and_name_the_function_name():
    assert trainer.spec.name == "trainer"
    assert trainer.spec.description == "Train a model.\n\nThe rest of the description."
    assert isinstance(trainer, Component)
    assert trainer.__doc__ == trainer.fn.__doc__
    assert repr(trainer) == "<component trainer>"


def test_executor_ref_points_at_the_function():
    ref = trainer.spec.executor
    assert ref.qualname == "trainer"
    assert ref.module == trainer.fn.__module__


def test_parameterised_decorator_sets_name_and_file_parameters():
    @component(name="CustomTrainer", file_parameters=("module_file",))
    def train(examples: Input[Examples], module_file: Parameter[str]) -> None:
        """Doc."""

    assert train.spec.name == "CustomTrainer"
    assert train.spec.file_parameters == ("module_file",)
    assert train.spec.executor.qualname.endswith("train")
    assert train(module_file="m.py").id == "CustomTrainer"


def test_decorator_called_without_options_still_works():
    @component()
    def noop() -> None:
        pass

    assert noop.spec.name == "noop"
    assert noop.spec.description == ""
    assert noop.spec.inputs == {} and noop.spec.outputs == {} and noop.spec.parameters == {}


def test_optional_input_written_with_typing_optional():
    @component
    def check(stats: typing.Optional[Input[Examples]] = None) -> None:  # noqa: UP045
        pass

    assert check.spec.inputs["stats"] == InputSpec(type=Examples, optional=True)


def test_execution_context_argument_is_not_a_port():
    @component
    def beam_job(examples: Input[Examples], ctx: ExecutionContext) -> None:
        pass

    assert beam_job.spec.context_argument == "ctx"
    assert set(beam_job.spec.inputs) == {"examples"}
    assert beam_job.spec.parameters == {}
    assert trainer.spec.context_argument is None


def test_calling_a_component_gives_a_node_that_knows_where_it_was_made():
    line = inspect.currentframe().f_lineno + 1
    node = trainer(steps=3, learning_rate=0.5)
    assert isinstance(node, Node)
    assert node.id == "trainer"
    assert node.parameters == {"steps": 3, "learning_rate": 0.5}
    assert node.defined_at == f"{__file__}:{line}"


@pytest.mark.parametrize(
    ("source", "argument", "expected"),
    [
        ("def bad(x) -> None: ...", "x", "has no port annotation; annotate it as Input"),
        ("def bad(x: int) -> None: ...", "x", "has no port annotation"),
        ("def bad(x: Parameter[set]) -> None: ...", "x", "has type <class 'set'>; a Parameter"),
        ("def bad(x: Parameter[bytes] = b'') -> None: ...", "x", "must be one of int, float"),
        ("def bad(x: Input[int]) -> None: ...", "x", r"Input\[<class 'int'>\]; the type inside"),
        ("def bad(x: Output[str]) -> None: ...", "x", r"Output\[<class 'str'>\]"),
        ("def bad(x: Input[list[Examples]]) -> None: ...", "x", "must be an Artifact subclass"),
        ("def bad(x: Input[Examples] | Input[Model]) -> None: ...", "x", "no port annotation"),
        ("def bad(*args: Input[Examples]) -> None: ...", "args", "ordinary named argument"),
        ("def bad(**kw: Parameter[int]) -> None: ...", "kw", "ordinary named argument"),
        ("def bad(x: Parameter[int], /) -> None: ...", "x", "not .*positional-only"),
        ("def bad(x: Parameter[int] = '1') -> None: ...", "x", "its default is str '1'"),
        ("def bad(x: Output[Model] = None) -> None: ...", "x", "outputs take no default"),
        ("def bad(x: Input[Model] = None) -> None: ...", "x", r"Input\[Model\] \| None = None"),
    ],
)
def test_bad_annotations_are_rejected_naming_component_and_argument(source, argument, expected):
    namespace = dict(globals())
    exec(textwrap.dedent(source), namespace)
    with pytest.raises(DefinitionError, match=expected) as caught:
        component(namespace["bad"])
    assert "component 'bad'" in str(caught.value)
    assert f"{argument!r}" in str(caught.value)


def test_unresolvable_annotation_is_a_definition_error():
    def bad(x: Input[NoSuchType]) -> None:  # noqa: F821
        pass

    with pytest.raises(DefinitionError, match=r"'bad' .*cannot read its type annotations"):
        component(bad)


@pytest.mark.parametrize("declared", ["module_file: Parameter[int] = 0", "other: Parameter[str]"])
def test_file_parameter_must_be_a_str_parameter(declared):
    namespace = dict(globals())
    exec(f"def train({declared}) -> None: ...", namespace)
    with pytest.raises(
        DefinitionError,
        match="'train'.*file parameter 'module_file' must be a "
        r"Parameter\[str\]",
    ):
        component(file_parameters=("module_file",))(namespace["train"])


def _load(tmp_path, stem: str, body: str):
    """Write a module with one component `step` into a file of its own and import it."""
    path = tmp_path / f"{stem}.py"
    path.write_text(
        "from headrace import Input, Output, Parameter, component\n"
        "from headrace.types import Examples, Model\n" + textwrap.dedent(body)
    )
    return import_file(str(path), f"_headrace_code_hash_{stem}").step


STEP = """
@component
def step(examples: Input[Examples], model: Output[Model], n: Parameter[int] = 1) -> None:
    total = n + 1
    print(total)
"""


def test_code_hash_changes_with_the_body_and_only_with_it(tmp_path):
    original = _load(tmp_path, "original", STEP)
    same = _load(
        tmp_path,
        "same",
        "# a comment and blank lines before it\n\n\n"
        + STEP
        + "\n\ndef unrelated():\n    return 1\n",
    )
    changed = _load(tmp_path, "changed", STEP.replace("n + 1", "n + 2"))
    assert len(original.spec.code_hash) == 16
    assert same.spec.code_hash == original.spec.code_hash
    assert changed.spec.code_hash != original.spec.code_hash
