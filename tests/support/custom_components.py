"""A pipeline file with custom components in both forms beyond a function: a class whose `run`
is the executor (with a helper method and a base class) and, below, container components. The
tests load it by path, as `headrace run` loads a user's file."""

from __future__ import annotations

import json
import os

from headrace import Input, Output, Parameter, Pipeline, component, container_component
from headrace.dsl import (
    ContainerSpec,
    ExecutionContext,
    InputUri,
    OutputPropertiesPath,
    OutputUri,
    ParameterValue,
)
from headrace.types import Examples, ExampleStatistics


@component
def write_words(examples: Output[Examples], rows: Parameter[int] = 5) -> None:
    """Rows of words, one file."""
    with open(os.path.join(examples.uri, "words.txt"), "w") as f:
        f.writelines(f"alpha beta {i}\n" for i in range(rows))
    examples.properties["rows"] = rows


class Counting:
    """A helper base class: its code is part of the component's code (and cache key)."""

    def count_words(self, path: str) -> int:
        with open(path) as f:
            return sum(len(line.split()) for line in f)


@component
class CountWords(Counting):
    """Count the words of the examples; fail on purpose when `fail` is set."""

    examples: Input[Examples]
    statistics: Output[ExampleStatistics]
    scale: Parameter[int] = 1
    fail: Parameter[bool] = False

    def run(self, context: ExecutionContext) -> None:
        if self.fail:
            raise RuntimeError(f"asked to fail in {context.node_id}")
        words = self.count_words(os.path.join(self.examples.uri, "words.txt")) * self.scale
        with open(os.path.join(self.statistics.uri, "count.json"), "w") as f:
            json.dump({"words": words, "run_id": context.run_id}, f)
        self.statistics.properties["words"] = words


# The containers' programs: standard-library Python passed with `python -c`, so the same command
# runs in the stock python image (Docker, a cluster) and as a process on this machine.
COUNT_LINES = """
import argparse, json, os, sys
p = argparse.ArgumentParser()
for flag in ("--words", "--out", "--scale", "--label", "--properties", "--fail"):
    p.add_argument(flag)
a = p.parse_args()
if a.fail == "true":
    sys.exit("asked to fail: " + a.label)
with open(os.path.join(a.words, "words.txt")) as f:
    lines = len(f.read().splitlines()) * int(a.scale)
with open(os.path.join(a.out, "lines.json"), "w") as f:
    json.dump({"lines": lines, "label": a.label}, f)
with open(a.properties, "w") as f:
    json.dump({"statistics": {"lines": lines, "label": a.label}}, f)
print("counted", lines, "lines")
"""
SHOUT = """
import os, sys
source, target, times = sys.argv[1], sys.argv[2], int(sys.argv[3].split("=", 1)[1])
with open(os.path.join(source, "words.txt")) as f:
    text = f.read()
with open(os.path.join(target, "words.txt"), "w") as f:
    f.write(text.upper() * times)
"""
IMAGE = "python:3.11-slim"

# A container component from keyword arguments, placeholders alone and inside a string.
count_lines = container_component(
    name="CountLines",
    image=IMAGE,
    command=["python", "-c", COUNT_LINES],
    args=[
        "--words",
        InputUri("examples"),
        "--out",
        OutputUri("statistics"),
        "--scale",
        ParameterValue("scale"),
        f"--label=run-{ParameterValue('label')}",
        "--fail",
        ParameterValue("fail"),
        "--properties",
        OutputPropertiesPath(),
    ],
    inputs={"examples": Examples},
    outputs={"statistics": ExampleStatistics},
    parameters={"scale": int, "label": str, "fail": bool},
    defaults={"scale": 1, "label": "x", "fail": False},
    description="Count lines in a container.",
)


@container_component
def shout(examples: Input[Examples], shouted: Output[Examples], times: Parameter[int] = 2):
    """Upper-case the words, `times` over (KFP's decorator form)."""
    return ContainerSpec(
        image=IMAGE,
        command=["python", "-c", SHOUT],
        args=[examples.uri, shouted.uri, f"--times={times}"],
    )


def create_pipeline(
    rows: int = 5,
    scale: int = 1,
    fail: bool = False,
    *,
    containers: bool = True,
    fail_container: bool = False,
    image: str | None = None,
) -> Pipeline:
    """write_words -> CountWords (a class); with `containers`, also write_words -> CountLines
    and write_words -> shout -> CountWords, so a class reads a container's output."""
    words = write_words(rows=rows)
    if not containers:
        count = CountWords(examples=words.outputs["examples"], scale=scale, fail=fail)
        return Pipeline(name="custom-components", components=[words, count])
    lines = count_lines(examples=words.outputs["examples"], scale=scale, fail=fail_container)
    if image:
        lines.with_image(image)
    loud = shout(examples=words.outputs["examples"], times=2)
    count = CountWords(examples=loud.outputs["shouted"], scale=scale, fail=fail)
    return Pipeline(name="custom-components", components=[words, lines, loud, count])
