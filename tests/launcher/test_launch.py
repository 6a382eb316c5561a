"""launch(): cache keys and reasons, the user-code boundary, idempotence, abandoned executions."""

from __future__ import annotations

import os
import re

import pytest

from headrace import Input, Output, Parameter, Pipeline, RuntimeParameter, component
from headrace.errors import DefinitionError, InputResolutionError, UserCodeError
from headrace.ir import build
from headrace.launcher import CACHED, DONE_BEFORE, EXECUTED, launch
from headrace.metadata import NodeExecution, open_store
from headrace.types import Examples, Model


@component(file_parameters=("module_file",))
def make(examples: Output[Examples], module_file: Parameter[str], n: Parameter[int] = 1) -> None:
    with open(os.path.join(examples.uri, "rows"), "w") as f:
        f.write(str(n))


@component
def fit(
    examples: Input[Examples],
    model: Output[Model],
    explode: Parameter[bool] = False,
    steps: Parameter[int] = 1,
) -> None:
    if explode:
        open(os.path.join(model.uri, "half-written"), "w").close()
        raise ZeroDivisionError("user code divided by zero")
    model.properties["steps"] = steps


def _ir(module_file, explode=False, steps=1):
    m = make(module_file=str(module_file))
    f = fit(examples=m.outputs["examples"], explode=explode, steps=steps)
    return build(Pipeline(name="p", components=[m, f]))


@pytest.fixture
def env(tmp_path, sqlite_url):
    module = tmp_path / "module.py"
    module.write_text("x = 1\n")
    return open_store(sqlite_url), str(tmp_path / "root"), module


def test_user_code_error_keeps_traceback_and_publishes_nothing(env):
    store, root, module = env
    ir = _ir(module, explode=True)
    launch(ir, "make", run_id="r", store=store, root=root)
    with pytest.raises(
        UserCodeError,
        match=r"'fit'.*ZeroDivisionError: user code divided by zero"
        r".*test_launch.py:\d+",
    ) as info:
        launch(ir, "fit", run_id="r", store=store, root=root)
    assert "raise ZeroDivisionError" in info.value.user_traceback
    [failed] = store.run_executions("p", "r", "fit")
    assert failed.state == "FAILED" and failed.outputs == {}
    assert "ZeroDivisionError" in failed.error
    assert not os.path.exists(os.path.join(root, "p", "fit", "model", str(failed.id)))


def test_input_from_an_upstream_that_did_not_run(env):
    store, root, module = env
    with pytest.raises(InputResolutionError, match=r"'fit' input 'examples'.*'make'.*run 'r'"):
        launch(_ir(module), "fit", run_id="r", store=store, root=root)


def test_launch_is_idempotent_within_a_run(env):
    store, root, module = env
    ir = _ir(module)
    first = launch(ir, "make", run_id="r", store=store, root=root)
    again = launch(ir, "make", run_id="r", store=store, root=root)
    assert (first.outcome, again.outcome) == (EXECUTED, DONE_BEFORE)
    assert again.outputs["examples"][0].id == first.outputs["examples"][0].id
    assert len(store.run_executions("p", "r", "make")) == 1


def test_editing_a_file_parameter_invalidates_the_cache(env):
    store, root, module = env
    ir = _ir(module)
    assert launch(ir, "make", run_id="r1", store=store, root=root).outcome == EXECUTED
    assert launch(ir, "make", run_id="r2", store=store, root=root).outcome == CACHED
    module.write_text("x = 2\n")
    result = launch(ir, "make", run_id="r3", store=store, root=root)
    assert result.outcome == EXECUTED and "no earlier execution" in result.cache_reason


def test_missing_file_parameter_is_named(env, tmp_path):
    store, root, _ = env
    with pytest.raises(DefinitionError, match=r"'make' parameter 'module_file'.*nope\.py"):
        launch(_ir(tmp_path / "nope.py"), "make", run_id="r", store=store, root=root)


def test_abandoned_running_execution_is_cancelled_and_cleaned(env):
    store, root, module = env
    ir = _ir(module)
    stale = store.start_execution(
        NodeExecution(pipeline="p", run_id="r", node_id="make", component="make", cache_key="x"), {}
    )
    partial = os.path.join(root, "p", "make", "examples", str(stale))
    os.makedirs(partial)
    result = launch(ir, "make", run_id="r", store=store, root=root)
    assert result.outcome == EXECUTED
    states = {e.id: e.state for e in store.run_executions("p", "r", "make")}
    assert states == {stale: "CANCELED", result.execution_id: "COMPLETE"}
    assert not os.path.exists(partial)


def test_runtime_parameters(env):
    store, root, module = env
    steps = RuntimeParameter(name="steps", ptype=int, default=3)
    m = make(module_file=str(module))
    f = fit(examples=m.outputs["examples"], steps=steps)
    ir = build(Pipeline(name="p", components=[m, f]))
    launch(ir, "make", run_id="r", store=store, root=root)
    default = launch(ir, "fit", run_id="r", store=store, root=root)
    assert default.outputs["model"][0].properties["steps"] == 3
    launch(ir, "make", run_id="r2", store=store, root=root)
    chosen = launch(ir, "fit", run_id="r2", store=store, root=root, runtime_values={"steps": 9})
    assert chosen.outcome == EXECUTED and chosen.outputs["model"][0].properties["steps"] == 9
    with pytest.raises(DefinitionError, match="Unknown runtime parameters \\['nope'\\]"):
        launch(ir, "fit", run_id="r3", store=store, root=root, runtime_values={"nope": 1})
    with pytest.raises(DefinitionError, match="'steps' expects int, got str"):
        launch(ir, "fit", run_id="r4", store=store, root=root, runtime_values={"steps": "x"})


def test_given_upstream_outputs_and_component_object(env):
    # The interactive context's way in: inputs from another run's outputs, and the code it holds.
    store, root, module = env
    ir = _ir(module)
    made = launch(ir, "make", run_id="r1", store=store, root=root)
    with pytest.raises(InputResolutionError, match=r"'fit' input 'examples'.*'make'"):
        launch(ir, "fit", run_id="r2", store=store, root=root, upstream={})
    calls = []

    @component(name="fit")
    def stand_in(
        examples: Input[Examples],
        model: Output[Model],
        explode: Parameter[bool] = False,
        steps: Parameter[int] = 1,
    ) -> None:
        calls.append(examples.id)

    result = launch(
        ir,
        "fit",
        run_id="r2",
        store=store,
        root=root,
        component=stand_in,
        upstream={"make": made.outputs},
    )
    assert result.outcome == EXECUTED and calls == [made.outputs["examples"][0].id]
    assert [e.id for e in store.run_executions("p", "r2")] == [result.execution_id]


def test_a_miss_says_what_changed_since_the_last_completed_execution(env):
    store, root, module = env
    ir = _ir(module)
    for node in ("make", "fit"):
        launch(ir, node, run_id="r1", store=store, root=root)
    # A new module file content re-runs `make`; `fit` then sees a new input artifact.
    module.write_text("x = 2\n")
    first = launch(ir, "make", run_id="r2", store=store, root=root)
    assert first.outcome == EXECUTED
    assert first.cache_reason.endswith(
        ": the content of a file parameter (module file or input data) changed"
    )
    fit_again = launch(ir, "fit", run_id="r2", store=store, root=root)
    before = store.run_executions("p", "r1", "fit")[0]
    assert re.search(
        rf"since execution {before.id} of run r1: input 'examples' changed "
        r"\(artifact \d+ -> artifact \d+\)$",
        fit_again.cache_reason,
    )
    # Only a parameter: the inputs are those of the last run.
    assert (
        launch(_ir(module, steps=2), "make", run_id="r3", store=store, root=root).outcome == CACHED
    )
    changed = launch(_ir(module, steps=2), "fit", run_id="r3", store=store, root=root)
    assert changed.cache_reason.endswith("of run r2: a parameter changed")
