"""The demo pipeline plus a `deploy` node after `train`, with per-branch knobs, so one run can
hold every state a report draws: executed, cache hit, failed, and not run (after the failure)."""

from __future__ import annotations

import os

from headrace import Input, Output, Pipeline, component
from headrace.types import Model, PushedModel
from tests.support.demo_pipeline import count, produce, train


@component
def deploy(model: Input[Model], pushed_model: Output[PushedModel]) -> None:
    """Copy the model where a server would read it."""
    with (
        open(os.path.join(model.uri, "model.json")) as f,
        open(os.path.join(pushed_model.uri, "model.json"), "w") as out,
    ):
        out.write(f.read())
    pushed_model.properties["pushed"] = 1


def make_pipeline(*, delay_b: float = 0.0, learning_rate: float = 0.1) -> Pipeline:
    p = produce(rows=20)
    a = count(examples=p.outputs["examples"]).with_id("count_a")
    b = count(examples=p.outputs["examples"], delay=delay_b).with_id("count_b")
    t = train(
        examples=p.outputs["examples"],
        a=a.outputs["statistics"],
        b=b.outputs["statistics"],
        learning_rate=learning_rate,
    )
    d = deploy(model=t.outputs["model"])
    return Pipeline(name="report-demo", components=[p, a, b, t, d])
