"""InteractiveContext without a notebook: run order, inputs from earlier runs, errors, caching,
edited module files, and what it records in ML Metadata."""

from __future__ import annotations

import os

import pytest

from headrace import Input, Output, Parameter, component
from headrace.errors import DefinitionError, InputResolutionError
from headrace.interactive import ExecutionResult, InteractiveContext
from headrace.metadata import open_store
from headrace.types import Examples, Model


@component
def make(examples: Output[Examples], rows: Parameter[int] = 3) -> None:
    with open(os.path.join(examples.uri, "rows.txt"), "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))


@component
def count(examples: Input[Examples], model: Output[Model]) -> None:
    with open(os.path.join(examples.uri, "rows.txt")) as f:
        model.properties["rows"] = len(f.read().split())


@component(file_parameters=("module_file",))
def apply_module(examples: Input[Examples], model: Output[Model], module_file: Parameter[str]):
    """Like a Trainer: runs `fit(rows)` from a module file (read from disk each run)."""
    namespace: dict = {}
    with open(module_file) as f:
        exec(f.read(), namespace)
    with open(os.path.join(examples.uri, "rows.txt")) as f:
        model.properties["fit"] = namespace["fit"](f.read().split())


@pytest.fixture
def context(tmp_path):
    return InteractiveContext(pipeline_root=str(tmp_path / "root"))


def test_runs_in_order_with_inputs_from_earlier_runs(context):
    data = make(rows=4)
    counter = count(examples=data.outputs["examples"])
    made = context.run(data)
    counted = context.run(counter)
    assert isinstance(made, ExecutionResult)
    assert (made.outcome, counted.outcome) == ("executed", "executed")
    assert counted.execution_id > made.execution_id
    [examples] = made.outputs["examples"]
    assert os.path.isfile(os.path.join(examples.uri, "rows.txt"))
    assert examples.uri.startswith(context.pipeline_root)
    assert [a.id for a in counted.inputs["examples"]] == [examples.id]
    assert counted.outputs["model"][0].properties["rows"] == 4
    assert context.artifacts(counter.outputs["model"])[0].id == counted.outputs["model"][0].id
    # Both are one MLMD run of the pipeline, in the order they ran.
    store = open_store(context.metadata)
    recorded = store.run_executions(context.pipeline_name, context.run_id)
    assert [(e.node_id, e.state) for e in recorded] == [("make", "COMPLETE"), ("count", "COMPLETE")]


def test_input_from_a_component_not_run_yet_names_both(context):
    counter = count(examples=make().outputs["examples"])
    with pytest.raises(
        InputResolutionError,
        match=r"count's input 'examples' comes from make \(defined at .*test_context.py:\d+\), "
        r"which has not been run in this context; run it first",
    ):
        context.run(counter)


def test_an_input_wired_to_another_node_with_the_same_id(context):
    context.run(make(rows=2))
    counter = count(examples=make(rows=5).outputs["examples"])
    with pytest.raises(InputResolutionError, match=r"a different make node, defined at .*was run"):
        context.run(counter)


def test_running_again_is_served_from_cache_in_a_new_run(context):
    data = make()
    first = context.run(data)
    again = context.run(data)
    assert again.outcome == "cached"
    assert f"execution {first.execution_id}" in again.reason
    assert again.run_id != first.run_id and context.run_ids == [first.run_id, again.run_id]
    assert again.outputs["examples"][0].id == first.outputs["examples"][0].id
    forced = context.run(data, enable_cache=False)
    assert forced.outcome == "executed" and forced.execution_id > again.execution_id
    assert forced.outputs["examples"][0].uri != first.outputs["examples"][0].uri


def test_an_edited_module_file_runs_again(context, tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def fit(rows):\n    return len(rows)\n")
    data = make(rows=3)
    trainer = apply_module(examples=data.outputs["examples"], module_file=str(module))
    context.run(data)
    first = context.run(trainer)
    assert first.outcome == "executed" and first.outputs["model"][0].properties["fit"] == 3
    assert context.run(trainer).outcome == "cached"
    module.write_text("def fit(rows):\n    return 10 * len(rows)\n")
    edited = context.run(trainer)
    assert edited.outcome == "executed", edited.reason
    assert edited.outputs["model"][0].properties["fit"] == 30
    # Its input is still the examples of the first run, which ran in an earlier MLMD run.
    assert edited.inputs["examples"][0].id == first.inputs["examples"][0].id
    assert edited.run_id != first.run_id


def test_a_component_defined_in_a_notebook_cell_runs(context):
    # IPython compiles a cell under a made-up file name into __main__: the function cannot be
    # imported by reference, so the context runs the object it holds.
    cell = (
        "from headrace import Output, Parameter, component\n"
        "from headrace.types import Model\n"
        "@component\n"
        "def in_cell(model: Output[Model], x: Parameter[int] = 1):\n"
        "    model.properties['x'] = x * 2\n"
    )
    namespace = {"__name__": "__main__"}
    exec(compile(cell, "<ipython-input-7-0123456789ab>", "exec"), namespace)
    result = context.run(namespace["in_cell"](x=21))
    assert result.outputs["model"][0].properties["x"] == 42


def test_default_root_and_metadata_are_printed_once(capsys):
    context = InteractiveContext()
    out = capsys.readouterr().out
    assert out.count("InteractiveContext:") == 1
    assert context.pipeline_root in out and "metadata.sqlite" in out
    assert os.path.isdir(context.pipeline_root)
    assert context.metadata == "sqlite://" + os.path.join(context.pipeline_root, "metadata.sqlite")
    context.run(make())
    assert capsys.readouterr().out == ""


def test_result_reprs_name_node_outcome_execution_and_uris(context):
    result = context.run(make())
    uri = result.outputs["examples"][0].uri
    text = repr(result)
    assert "make: executed" in text and f"execution {result.execution_id}" in text and uri in text
    html = result._repr_html_()
    assert "<b>make</b>" in html and f"{result.execution_id} of run" in html and uri in html


def test_bad_arguments_say_what_is_expected(context, tmp_path):
    with pytest.raises(DefinitionError, match=r"takes a component called with its arguments"):
        context.run(make)
    with pytest.raises(DefinitionError, match=r"takes an ML Metadata URL .* not a dict"):
        InteractiveContext(pipeline_root=str(tmp_path), metadata={"sqlite": "x"})
    with pytest.raises(DefinitionError, match=r"show takes a node's output"):
        context.show(42)
