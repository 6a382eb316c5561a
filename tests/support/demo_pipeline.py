"""A small real pipeline for runner tests: produce -> (count_a, count_b) -> train.

Knobs come from the environment so `headrace run` in a subprocess can be steered:
HEADRACE_DEMO_ROWS, HEADRACE_DEMO_SLEEP (seconds `produce` sleeps after writing half its rows),
HEADRACE_DEMO_FAIL (train raises while this file exists), HEADRACE_DEMO_LR, HEADRACE_DEMO_HOLD
(`produce` pauses half way while this file exists; unlike the sleep, not part of the cache key).
"""

from __future__ import annotations

import json
import os
import time

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.types import Examples, ExampleStatistics, Model


@component
def produce(
    examples: Output[Examples], rows: Parameter[int] = 100, sleep: Parameter[float] = 0.0
) -> None:
    """Write `rows` numbers, pausing half way (so a test can kill it mid-write)."""
    with open(os.path.join(examples.uri, "data.txt"), "w") as f:
        for i in range(rows):
            if i == rows // 2 and sleep:
                f.flush()
                time.sleep(sleep)
            hold = os.environ.get("HEADRACE_DEMO_HOLD")
            if i == rows // 2 and hold:
                f.flush()
                while os.path.exists(hold):
                    time.sleep(0.05)
            f.write(f"{i}\n")
    examples.properties["split_names"] = '["train"]'
    examples.properties["rows"] = rows


@component
def count(
    examples: Input[Examples], statistics: Output[ExampleStatistics], delay: Parameter[float] = 0.0
) -> None:
    """Count rows; record when it ran so tests can see branches overlap."""
    start = time.time()
    time.sleep(delay)
    with open(os.path.join(examples.uri, "data.txt")) as f:
        n = sum(1 for _ in f)
    statistics.properties["rows"] = n
    statistics.properties["interval"] = [start, time.time()]


@component
def train(
    examples: Input[Examples],
    a: Input[ExampleStatistics],
    b: Input[ExampleStatistics],
    model: Output[Model],
    learning_rate: Parameter[float] = 0.1,
) -> None:
    """Fail while HEADRACE_DEMO_FAIL names an existing file; else write a 'model'."""
    flag = os.environ.get("HEADRACE_DEMO_FAIL")
    if flag and os.path.exists(flag):
        raise RuntimeError(f"failing on purpose while {flag} exists")
    assert a.properties["rows"] == b.properties["rows"] == examples.properties["rows"]
    with open(os.path.join(model.uri, "model.json"), "w") as f:
        json.dump({"rows": a.properties["rows"], "lr": learning_rate}, f)


def make_pipeline(
    rows: int = 100,
    sleep: float = 0.0,
    delay: float = 0.0,
    learning_rate: float = 0.1,
    root: str | None = None,
    metadata: str | None = None,
) -> Pipeline:
    p = produce(rows=rows, sleep=sleep)
    a = count(examples=p.outputs["examples"], delay=delay).with_id("count_a")
    b = count(examples=p.outputs["examples"], delay=delay).with_id("count_b")
    t = train(
        examples=p.outputs["examples"],
        a=a.outputs["statistics"],
        b=b.outputs["statistics"],
        learning_rate=learning_rate,
    )
    return Pipeline(name="demo", components=[p, a, b, t], pipeline_root=root, metadata=metadata)


def create_pipeline() -> Pipeline:
    env = os.environ.get
    return make_pipeline(
        rows=int(env("HEADRACE_DEMO_ROWS", "100")),
        sleep=float(env("HEADRACE_DEMO_SLEEP", "0")),
        learning_rate=float(env("HEADRACE_DEMO_LR", "0.1")),
    )
