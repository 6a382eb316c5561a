"""Nodes: output channels, ids, and the per-node execution settings kept for the backends."""

from __future__ import annotations

import pytest

from headrace.dsl import Channel, Input, Output, Parameter, Resources, component
from headrace.errors import DefinitionError
from headrace.types import Examples, ExampleStatistics, Schema


@component
def stats_gen(
    examples: Input[Examples],
    statistics: Output[ExampleStatistics],
    schema: Output[Schema],
    sample: Parameter[float] = 1.0,
) -> None:
    """Compute statistics."""


@component
def example_gen(examples: Output[Examples]) -> None:
    """Make examples."""


def test_outputs_are_typed_channels_of_the_node():
    gen = example_gen()
    node = stats_gen(examples=gen.outputs["examples"], sample=0.5)
    assert set(node.outputs) == {"statistics", "schema"}
    channel = node.outputs["statistics"]
    assert isinstance(channel, Channel)
    assert channel.node is node and channel.output == "statistics"
    assert channel.type is ExampleStatistics
    assert node.outputs["schema"].type is Schema
    assert repr(channel) == "stats_gen.outputs['statistics'] (ExampleStatistics)"


def test_arguments_split_into_inputs_and_parameters():
    gen = example_gen()
    node = stats_gen(examples=gen.outputs["examples"], sample=0.5)
    assert node.inputs == {"examples": gen.outputs["examples"]}
    assert node.parameters == {"sample": 0.5}


def test_with_id_renames_the_node_and_its_channels():
    node = example_gen()
    assert node.id == "example_gen"
    assert node.with_id("gen_a") is node
    assert node.id == "gen_a"
    assert repr(node) == "<node gen_a (example_gen)>"
    assert repr(node.outputs["examples"]).startswith("gen_a.outputs['examples']")


def test_defaults_for_execution_settings():
    node = example_gen()
    assert node.resources == Resources()
    assert node.image is None
    assert node.beam_args == ()


def test_with_resources_takes_a_resources_object():
    resources = Resources(cpu="2", memory="4Gi", gpu=1)
    node = example_gen()
    assert node.with_resources(resources) is node
    assert node.resources is resources


def test_with_resources_takes_keywords():
    node = example_gen().with_resources(cpu="500m", memory="1Gi", gpu=2, gpu_vendor="amd.com/gpu")
    assert node.resources == Resources(cpu="500m", memory="1Gi", gpu=2, gpu_vendor="amd.com/gpu")


def test_with_resources_rejects_both_forms_at_once_naming_the_node():
    node = example_gen().with_id("gen")
    with pytest.raises(DefinitionError, match=r"Node 'gen'.*with_resources.*not both.*\['gpu'\]"):
        node.with_resources(Resources(cpu="1"), gpu=1)


def test_with_resources_reports_bad_keywords_naming_the_node():
    node = example_gen().with_id("gen")
    with pytest.raises(
        DefinitionError,
        match=r"^Node 'gen' \(defined at .*test_node.py:\d+\): Resources.memory='2 GB' is not a "
        r"Kubernetes quantity",
    ):
        node.with_resources(memory="2 GB")
    with pytest.raises(DefinitionError, match=r"^Node 'gen' .*: Resources.gpu=-1 must be a whole"):
        node.with_resources(gpu=-1)


def test_with_image_and_beam_args():
    node = (
        example_gen()
        .with_image("registry.example/gen:1")
        .with_beam_args(arg for arg in ["--runner=FlinkRunner", "--parallelism=4"])
    )
    assert node.image == "registry.example/gen:1"
    assert node.beam_args == ("--runner=FlinkRunner", "--parallelism=4")  # a tuple, not a generator


def test_builders_chain():
    node = example_gen().with_id("a").with_image("img").with_resources(cpu=1).with_beam_args([])
    assert (node.id, node.image, node.resources.cpu) == ("a", "img", "1")
