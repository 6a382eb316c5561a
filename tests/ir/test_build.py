"""build(pipeline) -> PipelineIR: the IR it produces and every definition error it reports."""

from __future__ import annotations

import inspect
import random

import pytest

from headrace import Pipeline, Resources, RuntimeParameter
from headrace.errors import DefinitionError
from headrace.ir import ExecutorRef, InputIR, OutputIR, ParameterIR, RuntimeParameterIR, build
from tests.ir.components import gen, needs_epochs, relay, schema_gen, special_gen, stats, train


def _line() -> str:
    """`file:line` of the caller's next line, as a node created there records it."""
    frame = inspect.currentframe().f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno + 1}"


def tfx_like(
    steps=100, cpu="1", image=None, node_beam=(), pipeline_beam=("--runner=DirectRunner",)
) -> Pipeline:
    """The same pipeline every call (nodes are created on the same lines), with a few knobs."""
    g = gen(rows=5)
    s = stats(examples=g.outputs["examples"])
    sc = schema_gen(statistics=s.outputs["statistics"])
    t = train(examples=g.outputs["examples"], schema=sc.outputs["schema"], steps=steps)
    t.with_resources(cpu=cpu, memory="2Gi", gpu=1).with_beam_args(node_beam)
    if image:
        t.with_image(image)
    return Pipeline(
        name="tfx-like",
        components=[t, sc, s, g],
        pipeline_root="/tmp/root",
        metadata="sqlite:///tmp/m.sqlite",
        beam_args=pipeline_beam,
        description="a test pipeline",
    )


# --- what the IR holds -------------------------------------------------------------------------


def test_ir_of_a_small_pipeline():
    ir = build(tfx_like())
    assert ir.name == "tfx-like"
    assert (ir.root, ir.metadata, ir.description) == (
        "/tmp/root",
        "sqlite:///tmp/m.sqlite",
        "a test pipeline",
    )
    assert ir.beam_args == ("--runner=DirectRunner",)
    assert ir.enable_cache is True
    assert [n.id for n in ir.nodes] == ["gen", "stats", "schema_gen", "train"]

    t = ir.node("train")
    assert t.component == "train" and t.description == "Train a model."
    assert t.executor == ExecutorRef(module="tests.ir.components", qualname="train")
    assert t.code_hash == train.spec.code_hash
    assert t.inputs == (
        InputIR(name="examples", type_name="Examples", source_node="gen", source_output="examples"),
        InputIR(
            name="schema",
            type_name="Schema",
            source_node="schema_gen",
            source_output="schema",
            optional=True,
        ),
    )
    assert t.outputs == (OutputIR(name="model", type_name="Model"),)
    assert t.upstream == ("gen", "schema_gen")
    assert t.file_parameters == ("module_file",)
    assert t.resources == Resources(cpu="1", memory="2Gi", gpu=1)
    assert t.image is None and t.beam_args == ()
    assert t.defined_at.startswith(f"{__file__}:")
    assert t.output("model").type_name == "Model"
    assert ir.downstream("gen") == ("stats", "train")
    assert ir.downstream("train") == ()


def test_parameters_in_ir_include_defaults():
    g = gen()
    ir = build(Pipeline(name="p", components=[g, train(examples=g.outputs["examples"], rate=1)]))
    assert ir.node("train").parameters == (
        ParameterIR(name="steps", value=100),
        ParameterIR(name="rate", value=1.0),
        ParameterIR(name="config", value=None),
        ParameterIR(name="layers", value=None),
        ParameterIR(name="module_file", value="trainer.py"),
        ParameterIR(name="verbose", value=False),
    )
    assert ir.node("gen").parameters == (ParameterIR(name="rows", value=10),)


def test_optional_input_left_unwired_or_given_none():
    g = gen()
    for t in (
        train(examples=g.outputs["examples"]),
        train(examples=g.outputs["examples"], schema=None),
    ):
        ir = build(Pipeline(name="p", components=[g, t]))
        assert ir.node("train").inputs[1] == InputIR(
            name="schema", type_name="Schema", source_node=None, source_output=None, optional=True
        )
        assert ir.node("train").upstream == ("gen",)


def test_input_accepts_a_subtype():
    g = special_gen()
    ir = build(Pipeline(name="p", components=[g, stats(examples=g.outputs["examples"])]))
    assert ir.node("stats").inputs[0].type_name == "Examples"
    assert ir.node("special_gen").outputs[0].type_name == "SpecialExamples"


def test_node_lookup_names_the_known_nodes():
    ir = build(tfx_like())
    with pytest.raises(
        KeyError, match="pipeline 'tfx-like' has no node 'nope'; its nodes: gen, stats"
    ):
        ir.node("nope")


# --- order and determinism ---------------------------------------------------------------------


def test_topological_order_breaks_ties_by_id():
    z = gen().with_id("z_gen")
    b = gen().with_id("b_gen")
    a = stats(examples=z.outputs["examples"]).with_id("a_stats")
    c = stats(examples=b.outputs["examples"]).with_id("c_stats")
    m = relay(examples=z.outputs["examples"]).with_id("m_relay")
    components = [c, m, a, b, z]
    for _ in range(5):
        random.shuffle(components)
        ir = build(Pipeline(name="p", components=components))
        assert [n.id for n in ir.nodes] == ["b_gen", "z_gen", "a_stats", "c_stats", "m_relay"]


def test_equal_pipelines_give_equal_ir_and_fingerprint():
    first, second = build(tfx_like()), build(tfx_like())
    assert first == second
    assert first.to_json() == second.to_json()
    assert first.fingerprint() == second.fingerprint()
    assert len(first.fingerprint()) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"steps": 101},
        {"cpu": "2"},
        {"image": "registry.example/train:2"},
        {"node_beam": ("--runner=FlinkRunner",)},
        {"pipeline_beam": ("--runner=DirectRunner", "--direct_num_workers=2")},
    ],
    ids=["parameter", "resource", "image", "node-beam-arg", "pipeline-beam-arg"],
)
def test_any_change_changes_the_fingerprint(change):
    base = build(tfx_like())
    changed = build(tfx_like(**change))
    assert changed != base
    assert changed.fingerprint() != base.fingerprint()


# --- definition errors -------------------------------------------------------------------------


def test_cycle_shows_the_loop():
    g = gen()
    a = relay(examples=g.outputs["examples"]).with_id("a")
    b = relay(examples=a.outputs["out"]).with_id("b")
    c = relay(examples=b.outputs["out"]).with_id("c")
    tail = stats(examples=c.outputs["out"]).with_id("tail")
    a.arguments["examples"] = c.outputs["out"]  # close the loop a -> b -> c -> a
    with pytest.raises(DefinitionError) as caught:
        build(Pipeline(name="p", components=[g, a, b, c, tail]))
    message = str(caught.value)
    assert message.startswith(
        "The pipeline has a cycle: a -> b -> c -> a. Nodes defined at: 'a' at "
    )
    assert message.count("test_build.py:") == 3  # a, b and c, each with its file and line
    assert "Input 'examples' of 'a' takes an output of 'c', which itself depends on 'a'" in message


def test_cycle_leaves_out_nodes_that_only_hang_off_it():
    g = gen()
    b = relay(examples=g.outputs["examples"]).with_id("b")
    c = relay(examples=b.outputs["out"]).with_id("c")
    first = stats(examples=c.outputs["out"]).with_id("a_first")  # sorts first, not in the loop
    b.arguments["examples"] = c.outputs["out"]
    with pytest.raises(DefinitionError, match=r"The pipeline has a cycle: c -> b -> c\. "):
        build(Pipeline(name="p", components=[g, b, c, first]))


def test_two_nodes_feeding_each_other():
    g = gen()
    a = relay(examples=g.outputs["examples"]).with_id("a")
    b = relay(examples=a.outputs["out"]).with_id("b")
    a.arguments["examples"] = b.outputs["out"]
    with pytest.raises(DefinitionError, match=r"cycle: a -> b -> a\."):
        build(Pipeline(name="p", components=[b, a, g]))


def test_node_feeding_itself():
    g = gen()
    a = relay(examples=g.outputs["examples"]).with_id("loop")
    a.arguments["examples"] = a.outputs["out"]
    with pytest.raises(DefinitionError, match=r"cycle: loop -> loop\."):
        build(Pipeline(name="p", components=[g, a]))


def test_duplicate_node_id_names_both_call_sites():
    first_at = _line()
    first = gen()
    second_at = _line()
    second = gen()
    with pytest.raises(DefinitionError) as caught:
        build(Pipeline(name="p", components=[first, second]))
    message = str(caught.value)
    assert message.startswith("Two nodes have the id 'gen' (defined at ")
    assert first_at in message and second_at in message
    assert "give one a distinct id with .with_id('...')" in message


def test_the_same_node_listed_twice():
    g = gen()
    with pytest.raises(DefinitionError, match="Node 'gen' is listed twice in the pipeline"):
        build(Pipeline(name="p", components=[g, g]))


@pytest.mark.parametrize(("one", "other"), [("my_gen", "my-gen"), ("MyGen", "my.gen")])
def test_ids_with_the_same_kubernetes_name(one, other):
    nodes = [gen().with_id(one), gen().with_id(other)]
    with pytest.raises(
        DefinitionError,
        match=rf"Node ids '{one}' and '{other}' both become the Kubernetes name 'my-gen'; rename "
        rf"one",
    ):
        build(Pipeline(name="p", components=nodes))


def test_input_wired_to_another_artifact_type():
    g = gen()
    s = stats(examples=g.outputs["examples"])
    t = train(examples=s.outputs["statistics"])
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' \(train, defined at .*\): input 'examples' expects Examples but is "
        r"wired to stats.outputs\['statistics'\], which is ExampleStatistics\.",
    ):
        build(Pipeline(name="p", components=[g, s, t]))


def test_missing_required_input():
    with pytest.raises(
        DefinitionError,
        match=r"Node 'stats' \(stats, defined at .*\): required input 'examples' \(Examples\) is "
        r"not wired; pass examples=<upstream>.outputs\['...'\]\.",
    ):
        build(Pipeline(name="p", components=[stats()]))


def test_a_node_passed_instead_of_a_channel():
    g = gen().with_id("my_gen")
    with pytest.raises(
        DefinitionError,
        match=r"Node 'stats' .*: input 'examples' got the node 'my_gen'; pass one of its outputs, "
        r"e\.g\. my_gen\.outputs\['examples'\]\.",
    ):
        build(Pipeline(name="p", components=[g, stats(examples=g)]))


def test_a_plain_value_passed_as_an_input():
    with pytest.raises(
        DefinitionError,
        match=r"Node 'stats' .*: input 'examples' must be an upstream output .*got str\.",
    ):
        build(Pipeline(name="p", components=[stats(examples="/data/examples")]))


def test_upstream_node_not_in_the_pipeline():
    g = gen()
    with pytest.raises(
        DefinitionError,
        match=r"Node 'stats' .*: input 'examples' comes from node 'gen' \(defined at .*\), which "
        r"is not in the pipeline's components; add it",
    ):
        build(Pipeline(name="p", components=[stats(examples=g.outputs["examples"])]))


def test_upstream_node_not_in_the_pipeline_even_if_another_has_its_id():
    listed_at = _line()
    listed = gen()
    wired_at = _line()
    wired = gen()  # same id 'gen', not in the pipeline: must not be confused with `listed`
    s = stats(examples=wired.outputs["examples"])
    with pytest.raises(
        DefinitionError,
        match=r"input 'examples' comes from node 'gen'.*not in the pipeline's components \(a "
        r"different node with that id, defined at .*, is\)",
    ) as caught:
        build(Pipeline(name="p", components=[listed, s]))
    assert wired_at in str(caught.value) and listed_at in str(caught.value)


def test_unknown_argument_lists_what_the_component_takes():
    g = gen()
    t = train(examples=g.outputs["examples"], epochs=3)
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' .*: unknown argument 'epochs'; train takes inputs \['examples', "
        r"'schema'\] and parameters \['config', 'layers', 'module_file', 'rate', 'steps', "
        r"'verbose'\]\.",
    ):
        build(Pipeline(name="p", components=[g, t]))


def test_an_output_passed_as_an_argument_is_unknown():
    with pytest.raises(DefinitionError, match=r"Node 'gen' .*unknown argument 'examples'"):
        build(Pipeline(name="p", components=[gen(examples="/somewhere")]))


def test_missing_required_parameter():
    g = gen()
    with pytest.raises(
        DefinitionError,
        match=r"Node 'needs_epochs' .*: required parameter 'epochs' \(int\) is not given\.",
    ):
        build(Pipeline(name="p", components=[g, needs_epochs(examples=g.outputs["examples"])]))


def _train_with(**parameters):
    g = gen()
    return Pipeline(name="p", components=[g, train(examples=g.outputs["examples"], **parameters)])


@pytest.mark.parametrize(
    ("name", "value", "expected", "got"),
    [
        ("steps", True, "int", "bool True"),
        ("steps", 1.5, "int", "float 1.5"),
        ("steps", "3", "int", "str '3'"),
        ("rate", False, "float", "bool False"),
        ("rate", "0.1", "float", "str '0.1'"),
        ("verbose", 1, "bool", "int 1"),
        ("module_file", 3, "str", "int 3"),
        ("config", [1], "dict", r"list \[1\]"),
        ("layers", (1, 2), "list", r"tuple \(1, 2\)"),
    ],
)
def test_parameter_of_the_wrong_type(name, value, expected, got):
    with pytest.raises(
        DefinitionError,
        match=rf"Node 'train' .*: parameter '{name}' expects {expected}, got {got}\.$",
    ):
        build(_train_with(**{name: value}))


def test_int_for_float_is_accepted_and_converted():
    [rate] = [p for p in build(_train_with(rate=2)).node("train").parameters if p.name == "rate"]
    assert rate.value == 2.0 and isinstance(rate.value, float)


def test_none_only_where_the_default_is_none():
    ir = build(_train_with(config=None, layers=None))
    assert ir.node("train").parameters[2:4] == (
        ParameterIR(name="config", value=None),
        ParameterIR(name="layers", value=None),
    )
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' .*: parameter 'steps' expects int, got None",
    ):
        build(_train_with(steps=None))
    g = gen()
    with pytest.raises(DefinitionError, match="parameter 'epochs' expects int, got None"):
        build(
            Pipeline(
                name="p", components=[g, needs_epochs(examples=g.outputs["examples"], epochs=None)]
            )
        )


def test_dict_and_list_parameters_become_plain_json():
    ir = build(_train_with(config={"a": (1, 2), "b": {"c": None}}, layers=[(3, "x"), True]))
    params = {p.name: p.value for p in ir.node("train").parameters}
    assert params["config"] == {"a": [1, 2], "b": {"c": None}}
    assert params["layers"] == [[3, "x"], True]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("config", {"s": {1, 2}}),
        ("layers", [object()]),
        ("config", {"k": b"bytes"}),
        ("config", {(1, 2): "tuple key"}),
    ],
)
def test_parameter_that_is_not_json_serializable(name, value):
    with pytest.raises(
        DefinitionError,
        match=rf"Node 'train' .*: parameter '{name}' must be JSON-serializable",
    ):
        build(_train_with(**{name: value}))


@pytest.mark.parametrize("bad", ["has space", "1st", "-x", "_x", "ünï", "a/b", "x" * 101, ""])
def test_node_id_that_cannot_become_a_kubernetes_name(bad):
    with pytest.raises(
        DefinitionError,
        match=r"Node id .* cannot become a Kubernetes name: use 1-100 characters.*\(node defined "
        r"at .*\)\.",
    ) as c:
        build(Pipeline(name="p", components=[gen().with_id(bad)]))
    assert repr(bad) in str(c.value)


@pytest.mark.parametrize("bad", ["my pipeline", "9lives", "p!", ""])
def test_pipeline_name_that_cannot_become_a_kubernetes_name(bad):
    with pytest.raises(
        DefinitionError,
        match=rf"Pipeline name {bad!r} cannot become a Kubernetes name",
    ):
        build(Pipeline(name=bad, components=[gen()]))


def test_components_must_be_nodes():
    with pytest.raises(
        DefinitionError,
        match=r"Pipeline components must be nodes \(a component called with its arguments\); got "
        r"<component gen>",
    ):
        build(Pipeline(name="p", components=[gen]))


# --- runtime parameters ------------------------------------------------------------------------


def test_runtime_parameter_is_recorded_with_its_default():
    steps = RuntimeParameter(name="train-steps", ptype=int, default=500)
    rate = RuntimeParameter(name="rate", ptype=float, default=1)
    g = gen()
    t1 = train(examples=g.outputs["examples"], steps=steps, rate=rate)
    t2 = train(examples=g.outputs["examples"], steps=steps).with_id("train2")
    ir = build(Pipeline(name="p", components=[g, t1, t2]))
    assert ir.runtime_parameters == (  # once each, sorted by name
        RuntimeParameterIR(name="rate", type_name="float", default=1.0),
        RuntimeParameterIR(name="train-steps", type_name="int", default=500),
    )
    assert ir.node("train").parameters[:2] == (
        ParameterIR(name="steps", value=500, runtime="train-steps"),
        ParameterIR(name="rate", value=1.0, runtime="rate"),
    )
    assert ir.node("train2").parameters[0] == ParameterIR(
        name="steps", value=500, runtime="train-steps"
    )


def test_runtime_parameter_declared_twice_alike_is_one():
    g = gen()
    t1 = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default=1)
    )
    t2 = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default=1)
    )
    ir = build(Pipeline(name="p", components=[g, t1, t2.with_id("t2")]))
    assert len(ir.runtime_parameters) == 1


def test_runtime_parameter_of_the_wrong_type():
    g = gen()
    t = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=float, default=1.0)
    )
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' .*: parameter 'steps' expects int but runtime parameter 's' is "
        r"float\.",
    ):
        build(Pipeline(name="p", components=[g, t]))


def test_runtime_parameter_default_of_the_wrong_type():
    g = gen()
    t = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default="x")
    )
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' .*: parameter 'steps' expects int, got str 'x'",
    ):
        build(Pipeline(name="p", components=[g, t]))


def test_runtime_parameter_declared_twice_differently():
    g = gen()
    t1 = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default=1)
    )
    t2 = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default=2)
    )
    with pytest.raises(
        DefinitionError,
        match=r"Node 't2' .*: parameter 'steps' uses runtime parameter 's', which is declared "
        r"twice with different types or defaults \(int 1 and int 2\)",
    ):
        build(Pipeline(name="p", components=[g, t1, t2.with_id("t2")]))


def test_runtime_parameter_shared_by_parameters_of_different_types():
    g = gen()
    t = train(
        examples=g.outputs["examples"],
        steps=RuntimeParameter(name="n", ptype=int, default=1),
        module_file=RuntimeParameter(name="n", ptype=str, default="m.py"),
    )
    with pytest.raises(
        DefinitionError,
        match=r"Node 'train' .*: parameter 'module_file' uses runtime parameter 'n', which is "
        r"declared twice with different types or defaults \(int 1 and str 'm.py'\)",
    ):
        build(Pipeline(name="p", components=[g, t]))
