"""merge_beam_args: a node's Beam flags override the pipeline's, flag by flag, order kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from headrace.ir import merge_beam_args


def test_node_flags_override_pipeline_flags_and_order_is_kept():
    pipeline = ["--runner=DirectRunner", "--direct_num_workers=2", "--temp_location=/tmp/beam"]
    node = ["--runner=FlinkRunner", "--parallelism=4"]
    assert merge_beam_args(pipeline, node) == (
        "--direct_num_workers=2",
        "--temp_location=/tmp/beam",
        "--runner=FlinkRunner",
        "--parallelism=4",
    )


def test_empty_sides():
    assert merge_beam_args([], []) == ()
    assert merge_beam_args(["--a=1"], []) == ("--a=1",)
    assert merge_beam_args([], iter(["--b=2"])) == ("--b=2",)


def test_a_flag_without_value_overrides_and_is_overridden():
    assert merge_beam_args(["--save_main_session", "--a=1"], ["--save_main_session"]) == (
        "--a=1",
        "--save_main_session",
    )
    assert merge_beam_args(["--streaming=false"], ["--streaming"]) == ("--streaming",)


def test_flag_and_value_as_two_words_are_one_option():
    pipeline = ["--runner", "DirectRunner", "--job_endpoint", "localhost:8099", "--x=1"]
    node = ["--runner", "FlinkRunner"]
    assert merge_beam_args(pipeline, node) == (
        "--job_endpoint",
        "localhost:8099",
        "--x=1",
        "--runner",
        "FlinkRunner",
    )
    assert merge_beam_args(["--runner=DirectRunner"], ["--runner", "PortableRunner"]) == (
        "--runner",
        "PortableRunner",
    )


def test_pipeline_flags_repeated_are_all_overridden():
    pipeline = ["--experiments=a", "--experiments=b", "--k=v"]
    assert merge_beam_args(pipeline, ["--experiments=c"]) == ("--k=v", "--experiments=c")


_flags = st.sampled_from(["--runner", "--parallelism", "--save_main_session", "--temp_location"])
_args = st.lists(st.builds(lambda f, v: f"{f}={v}", _flags, st.integers(0, 9)), max_size=6)


@given(_args, _args)
def test_merge_properties(pipeline, node):
    merged = merge_beam_args(pipeline, node)
    assert merged[len(merged) - len(node) :] == tuple(node)  # the node's args last, all of them
    kept = merged[: len(merged) - len(node)]
    node_flags = {a.split("=")[0] for a in node}
    assert [a for a in pipeline if a.split("=")[0] not in node_flags] == list(kept)
