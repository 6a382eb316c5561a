"""Generated pipelines for the scale tests: many nodes of one light component, runnable by the
harness (module-level components, importable by name as an image would have them)."""

from __future__ import annotations

import os

from headrace import Input, Output, Parameter, Pipeline, component
from headrace.ir import PipelineIR, build
from headrace.types import Examples
from tests.compiler.pipelines import make_text, portable


@component
def shard(lines: Input[Examples], out: Output[Examples], index: Parameter[int] = 0) -> None:
    """Keep every line of `lines` whose number is `index` modulo 7 (a real, small job)."""
    with open(os.path.join(lines.uri, "data.txt")) as f:
        kept = [line for i, line in enumerate(f) if i % 7 == index % 7]
    with open(os.path.join(out.uri, "data.txt"), "w") as f:
        f.writelines(kept)
    out.properties["rows"] = len(kept)


def fan_out(n: int) -> PipelineIR:
    """make_text and n - 1 shards of it (a per-region fan-out's shape)."""
    text = make_text(rows=21).with_id("text")
    nodes = [text] + [shard(lines=text.outputs["lines"], index=i).with_id(f"shard-{i:04d}")
                      for i in range(1, n)]
    return portable(build(Pipeline(name=f"fan-{n}", components=nodes)))


def chain(n: int) -> PipelineIR:
    """make_text and n - 1 shards, each of the one before (a backfill's shape)."""
    nodes = [make_text(rows=21).with_id("text")]
    for i in range(1, n):
        previous = nodes[-1].outputs.get("lines") or nodes[-1].outputs["out"]
        nodes.append(shard(lines=previous, index=i).with_id(f"step-{i:04d}"))
    return portable(build(Pipeline(name=f"chain-{n}", components=nodes)))
