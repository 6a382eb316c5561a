"""Container components: declared from keyword arguments or KFP's decorator form, placeholders
checked against the declared ports at definition, and carried through the IR."""

from __future__ import annotations

import pytest

from headrace import Input, Output, Parameter, Pipeline, component, container_component
from headrace.dsl import (
    ContainerSpec,
    ExecutionContext,
    InputUri,
    OutputPropertiesPath,
    OutputUri,
    ParameterValue,
)
from headrace.dsl.component import InputSpec, ParameterSpec
from headrace.dsl.container import parameter_text, placeholders, render
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR, build
from headrace.types import Examples, Model


@component
def make(examples: Output[Examples]) -> None:
    """Upstream."""


def _train(**changes):
    arguments = dict(
        name="TrainInR",
        image="rocker/r-ver:4.3",
        command=["Rscript", "/app/train.R"],
        args=[
            "--data",
            InputUri("examples"),
            "--out",
            OutputUri("model"),
            "--epochs",
            ParameterValue("epochs"),
            "--lr",
            0.1,
        ],
        inputs={"examples": Examples},
        outputs={"model": Model},
        parameters={"epochs": int},
    )
    arguments.update(changes)
    return container_component(**arguments)


def test_keyword_form_declares_ports_and_keeps_placeholders_as_tokens():
    train = _train(defaults={"epochs": 10}, description="Train in R.")
    spec = train.spec
    assert spec.kind == "container" and spec.name == "TrainInR"
    assert spec.description == "Train in R."
    assert spec.inputs == {"examples": InputSpec(type=Examples, optional=False)}
    assert spec.outputs == {"model": Model}
    assert spec.parameters == {"epochs": ParameterSpec(type=int, default=10)}
    assert spec.container == ContainerSpec(
        image="rocker/r-ver:4.3",
        command=("Rscript", "/app/train.R"),
        args=(
            "--data",
            "{headrace:input_uri:examples}",
            "--out",
            "{headrace:output_uri:model}",
            "--epochs",
            "{headrace:parameter:epochs}",
            "--lr",
            "0.1",
        ),
    )
    assert spec.executor.module == __name__ and spec.executor.qualname == "TrainInR"


def test_decorator_form_gets_placeholders_for_its_arguments():
    @container_component
    def train(examples: Input[Examples], model: Output[Model], epochs: Parameter[int] = 3):
        """Train in a container."""
        return ContainerSpec(
            image="trainer:1",
            command=["train"],
            args=[examples.uri, model.path, f"--epochs={epochs}", OutputPropertiesPath()],
        )

    assert train.spec.kind == "container" and train.spec.name == "train"
    assert train.spec.description == "Train in a container."
    assert train.spec.parameters["epochs"] == ParameterSpec(type=int, default=3)
    assert train.spec.container.args == (
        "{headrace:input_uri:examples}",
        "{headrace:output_uri:model}",
        "--epochs={headrace:parameter:epochs}",
        "{headrace:output_properties}",
    )


def test_resolution_replaces_every_placeholder_and_writes_parameters_as_json():
    text = f"--x={InputUri('a')}:{ParameterValue('n')}"
    assert placeholders(text) == [("input_uri", "a"), ("parameter", "n")]
    assert render(text, lambda kind, name: f"<{kind}/{name}>") == "--x=<input_uri/a>:<parameter/n>"
    assert [parameter_text(v) for v in ("s", 3, 0.5, True, [1], {"a": 1}, None)] == [
        "s",
        "3",
        "0.5",
        "true",
        "[1]",
        '{"a": 1}',
        "",
    ]


def test_a_container_node_is_wired_and_built_like_any_node_and_survives_json():
    upstream = make()
    node = _train()(examples=upstream.outputs["examples"], epochs=5).with_resources(gpu=1)
    ir = build(Pipeline(name="p", components=[upstream, node]))
    built = ir.node("TrainInR")
    assert built.kind == "container" and built.container == node.component.spec.container
    assert built.upstream == ("make",) and built.resources.gpu == 1
    assert PipelineIR.from_json(ir.to_json()) == ir
    # Nodes without a container keep the IR they had: no "container" key at all.
    assert '"container"' not in build(Pipeline(name="q", components=[make()])).to_json()


def test_parameter_values_are_checked_when_built():
    upstream = make()
    with pytest.raises(
        DefinitionError,
        match=r"'TrainInR'.*parameter 'epochs' expects int, got "
        r"str 'ten'",
    ):
        build(
            Pipeline(
                name="p",
                components=[
                    upstream,
                    _train()(examples=upstream.outputs["examples"], epochs="ten"),
                ],
            )
        )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"args": ["--data", InputUri("exampels"), OutputUri("model")]},
            r"args\[1\] uses InputUri\('exampels'\), but it declares no such input; its inputs: "
            r"\['examples'\]",
        ),
        (
            {"args": [ParameterValue("epoch"), OutputUri("model")]},
            r"uses ParameterValue\('epoch'\).*its parameters: \['epochs'\]",
        ),
        (
            {"args": ["--data", InputUri("examples")]},
            r"outputs \['model'\] appear in neither command nor args.*OutputUri\('model'\)",
        ),
        (
            {"args": ["{headrace:input:examples}", OutputUri("model")]},
            r"args\[0\] holds '\{headrace:input:examples\}', which is not a placeholder",
        ),
        ({"command": []}, r"has no command.*Argo's emissary executor needs it"),
        ({"command": "Rscript train.R"}, "command must be a list of strings"),
        ({"image": ""}, "image '' must be an image name"),
        ({"args": [OutputUri("model"), None]}, r"args\[1\] is NoneType None; use strings"),
        ({"defaults": {"epoch": 1}}, r"defaults for \['epoch'\], which are not parameters"),
        ({"defaults": {"epochs": "1"}}, r"parameter 'epochs' is Parameter\[int\] but its default"),
        ({"parameters": {"epochs": set}}, r"parameter 'epochs' has type <class 'set'>"),
        ({"inputs": {"examples": int}}, r"port 'examples' is Input\[<class 'int'>\]"),
        ({"parameters": {"model": int}}, r"'model' is declared twice"),
        ({"parameters": {"epochs": int, "_x": int}}, r"name '_x' must be a Python identifier"),
        ({"name": None}, r"needs a name="),
    ],
)
def test_keyword_form_mistakes_are_definition_errors(changes, expected):
    with pytest.raises(DefinitionError, match=expected):
        _train(**changes)


def test_decorator_form_mistakes_are_definition_errors():
    with pytest.raises(DefinitionError, match=r"'bad'.*inputs \['schema'\] are optional"):

        @container_component
        def bad(schema: Input[Examples] | None, model: Output[Model]):
            return ContainerSpec(image="i", command=["c"], args=[model.uri])

    with pytest.raises(DefinitionError, match=r"'bad'.*returned str; it must return ContainerSpec"):

        @container_component
        def bad(model: Output[Model]):
            return "image"

    with pytest.raises(DefinitionError, match=r"calling it with placeholders failed \(TypeError"):

        @container_component
        def bad(model: Output[Model], n: Parameter[int] = 1):
            return ContainerSpec(image="i", command=["c"], args=[model.uri, n + 1])

    with pytest.raises(DefinitionError, match=r"'ctx' is an ExecutionContext; a container gets"):

        @container_component
        def bad(model: Output[Model], ctx: ExecutionContext):
            return ContainerSpec(image="i", command=["c"], args=[model.uri])

    with pytest.raises(DefinitionError, match="either a function returning a ContainerSpec or "):
        container_component(lambda: None, image="i", command=["c"])
