"""The class form of `@component`: annotated attributes are the ports and parameters, `run` the
executor; mistakes are reported at definition time naming the class, the attribute and the fix."""

from __future__ import annotations

import textwrap
from typing import ClassVar

import pytest

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.dsl import Component, ExecutionContext, Node
from headrace.dsl.component import InputSpec, ParameterSpec
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError
from headrace.ir import build
from headrace.types import Examples, Model, Schema


@component
def make(examples: Output[Examples]) -> None:
    """Upstream of the class components below."""


@component
class Summarize:
    """Summarize examples.

    More words.
    """

    examples: Input[Examples]
    schema: Input[Schema] | None = None
    report: Output[Model]
    threshold: Parameter[float] = 0.5
    labels: Parameter[list] = None
    title: Parameter[str]
    _seen: int = 0  # the class's own state, not a port
    UNITS: ClassVar[str] = "rows"  # a constant, not a port

    def run(self, context: ExecutionContext) -> None:
        self.helper()

    def helper(self) -> None:
        pass


def test_attributes_are_the_ports_and_parameters_in_order():
    spec = Summarize.spec
    assert isinstance(Summarize, Component)
    assert spec.name == "Summarize"
    assert spec.description == "Summarize examples.\n\nMore words."
    assert spec.inputs == {
        "examples": InputSpec(type=Examples, optional=False),
        "schema": InputSpec(type=Schema, optional=True),
    }
    assert spec.outputs == {"report": Model}
    assert list(spec.parameters) == ["threshold", "labels", "title"]
    assert spec.parameters["threshold"] == ParameterSpec(type=float, default=0.5)
    assert spec.parameters["title"].required and not spec.parameters["labels"].required


def test_the_executor_reference_points_at_the_class_as_for_a_function():
    ref = Summarize.spec.executor
    assert (ref.module, ref.qualname) == (__name__, "Summarize")
    assert Summarize.definition.__name__ == "Summarize" and Summarize.__doc__.startswith("Summ")


def test_calling_the_class_component_makes_a_node_like_a_function_component():
    upstream = make()
    node = Summarize(examples=upstream.outputs["examples"], title="t", threshold=0.7)
    assert isinstance(node, Node) and node.id == "Summarize"
    node.with_id("summary").with_resources(cpu="2", memory="1Gi")
    ir = build(Pipeline(name="p", components=[upstream, node]))
    built = ir.node("summary")
    assert built.upstream == ("make",)
    assert {p.name: p.value for p in built.parameters} == {
        "threshold": 0.7,
        "labels": None,
        "title": "t",
    }
    assert built.resources.cpu == "2"
    assert built.executor == Summarize.spec.executor


def test_unknown_and_missing_arguments_name_the_class_component_when_built():
    upstream = make()
    with pytest.raises(
        DefinitionError,
        match=r"Node 'Summarize' \(Summarize.*unknown argument "
        r"'treshold'.*parameters \['labels', 'threshold', 'title'\]",
    ):
        build(
            Pipeline(
                name="p",
                components=[
                    upstream,
                    Summarize(examples=upstream.outputs["examples"], title="t", treshold=0.1),
                ],
            )
        )
    with pytest.raises(DefinitionError, match=r"required parameter 'title' \(str\) is not given"):
        build(
            Pipeline(
                name="p", components=[upstream, Summarize(examples=upstream.outputs["examples"])]
            )
        )


def test_run_may_leave_out_the_context_and_options_apply_as_for_functions():
    @component(name="Counter", file_parameters=("module_file",))
    class count:
        module_file: Parameter[str]

        def run(self) -> None:
            pass

    assert count.spec.name == "Counter" and count.spec.file_parameters == ("module_file",)
    assert count(module_file="m.py").id == "Counter"


BAD = [
    ("x: int", "attribute 'x' has no port annotation; annotate it as Input"),
    ("x = 1\n    y: Parameter[set]", r"parameter 'y' has type <class 'set'>"),
    (
        "x: Parameter[int] = 'ten'",
        r"parameter 'x' is Parameter\[int\] but its default is str "
        r"'ten'; give a int default",
    ),
    ("x: Parameter[int] = True", r"default is bool True"),
    ("x: Output[Model] = None", r"output 'x' has the default None; outputs take no default"),
    (
        "x: Input[Model] = None",
        r"input 'x' has the default None.*x: Input\[Model\] \| None = "
        r"None",
    ),
    ("x: Input[int]", r"attribute 'x' is Input\[<class 'int'>\]; the type inside must be"),
    (
        "ctx: ExecutionContext",
        "attribute 'ctx' is an ExecutionContext; the context is passed to run",
    ),
    ("def __init__(self): pass", "defines __init__; Headrace makes the instance"),
    ("run = 3", "run must be a plain method"),
    ("@staticmethod\n    def run(context): pass", "run must be a plain method .*staticmethod"),
    (
        "def run(self, context, extra): pass",
        r"run\(self, context, extra\) must take self and "
        r"at most the context",
    ),
    ("def run(self, *args): pass", "must take self and at most the context"),
]


@pytest.mark.parametrize(("body", "expected"), BAD)
def test_definition_mistakes_name_the_class_and_attribute_and_the_fix(body, expected):
    source = f"class Bad:\n    {body}\n"
    if "def run" not in body and "run =" not in body:
        source += "    def run(self, context): pass\n"
    namespace = dict(globals())
    exec(textwrap.dedent(source), namespace)
    with pytest.raises(DefinitionError, match=expected) as caught:
        component(namespace["Bad"])
    assert "component 'Bad' (class " in str(caught.value)


def test_a_class_without_run_says_how_to_write_it():
    with pytest.raises(
        DefinitionError,
        match=r"'Empty'.*has no run method; define `def run\("
        r"self, context: ExecutionContext\)",
    ):

        @component
        class Empty:
            examples: Input[Examples]


def test_file_parameters_must_name_a_str_parameter_of_the_class():
    with pytest.raises(
        DefinitionError,
        match=r"'Train' \(class .*file parameter 'modul_file' "
        r"must be a Parameter\[str\]",
    ):

        @component(file_parameters=("modul_file",))
        class Train:
            module_file: Parameter[str]

            def run(self) -> None:
                pass


def test_unresolvable_annotation_is_a_definition_error():
    with pytest.raises(DefinitionError, match=r"'Bad' .*cannot read its type annotations"):

        @component
        class Bad:
            x: Input[NoSuchType]  # noqa: F821

            def run(self) -> None:
                pass


BASE = """
from headrace import Input, Output, Parameter, component
from headrace.types import Examples, Model


class Helpers:
    def double(self, n):
        return n * 2


@component
class Step(Helpers):
    examples: Input[Examples]
    model: Output[Model]
    n: Parameter[int] = 1

    def run(self, context) -> None:
        self.model.properties["n"] = self.double(self.n)
"""


def _load(tmp_path, stem: str, source: str) -> Component:
    path = tmp_path / f"{stem}.py"
    path.write_text(source)
    return import_file(str(path), f"_headrace_class_hash_{stem}").Step


def test_code_hash_covers_the_class_and_its_base_classes_and_nothing_else(tmp_path):
    original = _load(tmp_path, "original", BASE)
    same = _load(tmp_path, "same", BASE + "\n\ndef unrelated():\n    return 1\n")
    changed_run = _load(tmp_path, "run", BASE.replace("self.n)", "self.n + 1)"))
    changed_base = _load(tmp_path, "base", BASE.replace("n * 2", "n * 3"))
    assert same.spec.code_hash == original.spec.code_hash
    assert changed_run.spec.code_hash != original.spec.code_hash
    assert changed_base.spec.code_hash != original.spec.code_hash
    # Loaded by path, it is found again the same way a function component is.
    assert original.spec.executor.file == str(tmp_path / "original.py")
