"""A pipeline file with custom components in both forms beyond a function: a class whose `run`
is the executor (with a helper method and a base class) and, below, container components. The
tests load it by path, as `headrace run` loads a user's file."""

from __future__ import annotations

import json
import os

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.dsl import ExecutionContext
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


def create_pipeline(rows: int = 5, scale: int = 1, fail: bool = False) -> Pipeline:
    words = write_words(rows=rows)
    count = CountWords(examples=words.outputs["examples"], scale=scale, fail=fail)
    return Pipeline(name="custom-components", components=[words, count])
