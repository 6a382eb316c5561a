"""The IR's JSON codec: lossless round trips of random valid pipelines, a stable fingerprint,
and unknown fields rejected."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace import Pipeline, Resources, RuntimeParameter
from headrace.errors import DefinitionError
from headrace.ir import PipelineIR, build, dns_name
from tests.ir.components import gen, relay, schema_gen, stats, train

# --- strategies ---------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _names(rest: str) -> st.SearchStrategy[str]:
    # Cheaper to draw than st.from_regex, and as good at mixing case, digits and separators.
    return st.builds("{}{}".format, st.sampled_from(LETTERS), st.text(rest, max_size=15))


names = _names(LETTERS + "0123456789_.-")  # node ids and pipeline names
runtime_names = _names(LETTERS + "0123456789_-")  # Argo parameter names
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
quantities = st.integers(0, 64) | st.builds(
    "{}{}{}".format,
    st.integers(0, 9999),
    st.sampled_from(["", ".5", ".125"]),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"]),
)
resources = st.builds(
    Resources,
    cpu=st.none() | quantities,
    memory=st.none() | quantities,
    cpu_limit=st.none() | quantities,
    memory_limit=st.none() | quantities,
    gpu=st.integers(0, 8),
    gpu_vendor=st.sampled_from(["nvidia.com/gpu", "amd.com/gpu"]),
    node_selector=st.dictionaries(
        st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=2
    ),
    tolerations=st.lists(
        st.dictionaries(
            st.sampled_from(["key", "operator", "value", "effect", "tolerationSeconds"]),
            json_scalars,
            max_size=4,
        ),
        max_size=2,
    ),
)
beam_args = st.lists(
    st.builds(
        "--{}={}".format,
        st.sampled_from(["runner", "parallelism", "job_endpoint", "environment_type"]),
        st.text(max_size=10),
    ),
    max_size=3,
)


@st.composite
def pipelines(draw) -> Pipeline:
    """A random valid pipeline: a DAG of a few component kinds, every knob drawn at random."""
    int_name, float_name = draw(st.lists(runtime_names, min_size=2, max_size=2, unique=True))
    steps_rt = RuntimeParameter(name=int_name, ptype=int, default=draw(st.integers()))
    rate_rt = RuntimeParameter(name=float_name, ptype=float, default=draw(st.floats(-1e9, 1e9)))
    size = draw(st.integers(1, 8))
    ids = draw(st.lists(names, min_size=size, max_size=size, unique_by=dns_name))
    produced: dict[str, list] = {"examples": [], "statistics": [], "schema": []}
    nodes = []
    for node_id in ids:
        # Mostly nodes that consume something, so graphs get deep (gen -> stats -> schema_gen...).
        kinds = ["stats", "relay", "train"] if produced["examples"] else []
        kinds += ["schema_gen", "train"] if produced["statistics"] else []
        kind = draw(st.sampled_from([*kinds, "gen"]))
        if kind == "gen":
            node = gen(rows=draw(st.integers() | st.just(steps_rt)))
        elif kind == "stats":
            node = stats(examples=draw(st.sampled_from(produced["examples"])))
        elif kind == "relay":
            node = relay(examples=draw(st.sampled_from(produced["examples"])))
        elif kind == "schema_gen":
            node = schema_gen(statistics=draw(st.sampled_from(produced["statistics"])))
        else:
            arguments = {
                "examples": draw(st.sampled_from(produced["examples"])),
                "schema": draw(st.sampled_from([*produced["schema"], None])),
                "steps": draw(st.integers() | st.just(steps_rt)),
                "rate": draw(st.floats(allow_nan=False, allow_infinity=False) | st.just(rate_rt)),
                "config": draw(
                    st.none() | st.dictionaries(st.text(max_size=5), json_values, min_size=1)
                ),
                "layers": draw(st.none() | st.lists(json_values, max_size=4)),
                "module_file": draw(st.text(max_size=12)),
                "verbose": draw(st.booleans()),
            }
            # Leave some out: their defaults go into the IR.
            keep = [k for k in arguments if k in ("examples", "schema") or draw(st.booleans())]
            node = train(**{k: arguments[k] for k in keep})
        node.with_id(node_id)
        if draw(st.booleans()):
            node.with_resources(draw(resources))
        if draw(st.booleans()):
            node.with_image(draw(st.text(min_size=1, max_size=20)))
        node.with_beam_args(draw(beam_args))
        for output, channel in node.outputs.items():
            produced.setdefault(output, []).append(channel)
        produced["examples"] += [node.outputs["out"]] if kind == "relay" else []
        nodes.append(node)
    return Pipeline(
        name=draw(names),
        components=draw(st.permutations(nodes)),
        pipeline_root=draw(st.none() | st.text(max_size=20)),
        metadata=draw(st.none() | st.just("sqlite:///tmp/m.sqlite") | st.just("grpc://h:8080")),
        beam_args=draw(beam_args),
        enable_cache=draw(st.booleans()),
        description=draw(st.text(max_size=20)),
    )


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=75, deadline=None)
@given(pipelines())
def test_json_round_trip_is_lossless(pipeline):
    ir = build(pipeline)
    text = ir.to_json()
    back = PipelineIR.from_json(text)
    assert back == ir
    assert back.to_json() == text
    assert back.fingerprint() == ir.fingerprint()
    for node in back.nodes:
        assert isinstance(node.resources, Resources)
        assert isinstance(node.inputs, tuple) and isinstance(node.beam_args, tuple)


@settings(max_examples=30, deadline=None)
@given(pipelines(), st.randoms(use_true_random=False))
def test_ir_is_deterministic_and_topologically_sorted(pipeline, rnd):
    ir = build(pipeline)
    assert build(pipeline).fingerprint() == ir.fingerprint()
    shuffled = list(pipeline.components)
    rnd.shuffle(shuffled)
    again = Pipeline(
        name=pipeline.name,
        components=shuffled,
        pipeline_root=pipeline.pipeline_root,
        metadata=pipeline.metadata,
        beam_args=pipeline.beam_args,
        enable_cache=pipeline.enable_cache,
        description=pipeline.description,
    )
    assert build(again) == ir  # the order components are listed in does not matter
    seen: set[str] = set()
    for node in ir.nodes:
        assert seen.issuperset(node.upstream)
        seen.add(node.id)
    assert [r.name for r in ir.runtime_parameters] == sorted(r.name for r in ir.runtime_parameters)


@settings(max_examples=30, deadline=None)
@given(st.integers(), st.integers())
def test_fingerprints_differ_exactly_when_the_ir_does(rows_a, rows_b):
    def ir(rows):
        return build(Pipeline(name="p", components=[gen(rows=rows)]))

    assert (ir(rows_a).fingerprint() == ir(rows_b).fingerprint()) == (rows_a == rows_b)


# --- the JSON itself ----------------------------------------------------------------------------


def _small_ir() -> PipelineIR:
    g = gen().with_resources(gpu=1, node_selector={"gpu": "yes"})
    t = train(
        examples=g.outputs["examples"], steps=RuntimeParameter(name="s", ptype=int, default=3)
    )
    return build(Pipeline(name="p", components=[g, t]))


def test_json_is_canonical_and_carries_the_schema_version():
    ir = _small_ir()
    text = ir.to_json()
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert data["schema_version"] == 1
    assert data["runtime_parameters"] == [{"name": "s", "type_name": "int", "default": 3}]
    assert data["nodes"][0]["resources"]["node_selector"] == {"gpu": "yes"}


@pytest.mark.parametrize(
    ("path", "type_name"),
    [
        ((), "PipelineIR"),
        (("nodes", 0), "NodeIR"),
        (("nodes", 0, "resources"), "Resources"),
        (("nodes", 1, "inputs", 0), "InputIR"),
        (("nodes", 0, "executor"), "ExecutorRef"),
    ],
)
def test_unknown_fields_are_rejected(path, type_name):
    data = json.loads(_small_ir().to_json())
    target = data
    for step in path:
        target = target[step]
    target["added_later"] = 1
    target["also_new"] = 2
    with pytest.raises(
        DefinitionError,
        match=rf"IR {type_name} has unknown fields \['added_later', 'also_new'\]; was it "
        r"written by a newer Headrace\?",
    ):
        PipelineIR.from_json(json.dumps(data))
