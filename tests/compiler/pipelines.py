"""Pipelines the compiler tests compile (and the harness runs): real components at module level,
so a step's process imports them by name as an image would."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from headrace import Input, Output, Parameter, Pipeline, RuntimeParameter, component
from headrace.dsl import ExecutionContext
from headrace.ir import PipelineIR, build
from headrace.types import Examples, ExampleStatistics, Model, ModelBlessing, Schema

REPO = Path(__file__).resolve().parents[2]


@component
def make_text(lines: Output[Examples], rows: Parameter[int] = 20,
              word: Parameter[str] = "pipe") -> None:
    """Write `rows` lines of words."""
    with open(os.path.join(lines.uri, "data.txt"), "w") as f:
        for i in range(rows):
            f.write(f"{word} {i} {word}\n")
    lines.properties["rows"] = rows


@component(beam=True)
def beam_count(lines: Input[Examples], statistics: Output[ExampleStatistics],
               context: ExecutionContext) -> None:
    """Count words with Beam, on whichever runner the node's effective Beam args name."""
    import apache_beam as beam

    from headrace.components.beam import beam_pipeline

    out = os.path.join(statistics.uri, "count")
    with beam_pipeline(context.beam_args) as p:
        _ = (
            p
            | beam.io.ReadFromText(os.path.join(lines.uri, "data.txt"))
            | beam.FlatMap(str.split)
            | beam.combiners.Count.Globally()
            | beam.io.WriteToText(out, shard_name_template="")
        )
    with open(out) as f:
        statistics.properties["words"] = int(f.read().strip())
    statistics.properties["runner"] = next(
        (a.split("=", 1)[1] for a in context.beam_args if a.startswith("--runner=")), "Direct"
    )


@component
def fit(lines: Input[Examples], statistics: Input[ExampleStatistics], model: Output[Model],
        learning_rate: Parameter[float] = 0.1, fail: Parameter[bool] = False) -> None:
    """'Train' on the counts; fails on purpose when `fail` is true."""
    if fail:
        raise ValueError("asked to fail by the runtime parameter 'fail'")
    with open(os.path.join(model.uri, "model.txt"), "w") as f:
        f.write(f"{statistics.properties['words']} {learning_rate}\n")


def word_count(root: str | None = None, metadata: str | None = None,
               beam_args: tuple[str, ...] = ()) -> PipelineIR:
    """make_text -> beam_count -> fit; `fail` and `rows` are runtime parameters."""
    text = make_text(rows=RuntimeParameter(name="rows", ptype=int, default=30))
    count = beam_count(lines=text.outputs["lines"]).with_resources(cpu="500m", memory="1Gi")
    model = fit(lines=text.outputs["lines"], statistics=count.outputs["statistics"],
                fail=RuntimeParameter(name="fail", ptype=bool, default=False))
    return portable(build(Pipeline(name="word_count", components=[text, count, model],
                                   pipeline_root=root, metadata=metadata,
                                   beam_args=beam_args)))


# Stand-ins with the shapes of TFX's standard components, for compile-only tests and golden YAML.
@component(beam=True)
def CsvExampleGen(examples: Output[Examples], input_base: Parameter[str] = "") -> None:
    """Ingest CSV files."""


@component(beam=True)
def StatisticsGen(examples: Input[Examples], statistics: Output[ExampleStatistics]) -> None:
    """Compute statistics with TFDV."""


@component
def SchemaGen(statistics: Input[ExampleStatistics], schema: Output[Schema]) -> None:
    """Infer a schema."""


@component(file_parameters=("module_file",))
def Trainer(examples: Input[Examples], schema: Input[Schema], model: Output[Model],
            module_file: Parameter[str] = "", train_steps: Parameter[int] = 100,
            custom_config: Parameter[dict] = None) -> None:
    """Train a model."""


@component(beam=True)
def Evaluator(examples: Input[Examples], model: Input[Model],
              blessing: Output[ModelBlessing], threshold: Parameter[float] = 0.6) -> None:
    """Evaluate and bless a model with TFMA."""


def penguin(beam_args: tuple[str, ...] = ("--direct_num_workers=0",)) -> PipelineIR:
    """Five TFX-shaped nodes: Beam-based data steps, a GPU trainer with runtime parameters."""
    gen = CsvExampleGen(input_base="gs://data/penguin")
    stats = StatisticsGen(examples=gen.outputs["examples"]).with_beam_args(
        ["--direct_num_workers=2"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    trainer = Trainer(
        examples=gen.outputs["examples"], schema=schema.outputs["schema"],
        module_file="gs://code/penguin_trainer.py",
        train_steps=RuntimeParameter(name="train-steps", ptype=int, default=200),
        custom_config={"layers": [8, 8], "note": "quotes \" and <tags> & stuff"},
    ).with_resources(
        cpu="4", memory="16Gi", memory_limit="20Gi", gpu=2,
        node_selector={"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"},
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "ml",
                      "effect": "NoSchedule"}],
    )
    evaluator = Evaluator(
        examples=gen.outputs["examples"], model=trainer.outputs["model"],
        threshold=RuntimeParameter(name="threshold", ptype=float, default=0.7),
    ).with_image("registry.example.com/headrace-eval:1.0").with_beam_args(
        ["--runner=DirectRunner"])
    return portable(build(Pipeline(
        name="penguin_simple", components=[gen, stats, schema, trainer, evaluator],
        description="The penguin example's shape: TFX-style components on Argo.",
        beam_args=beam_args,
    )))


@component(beam=True)
def Transform(examples: Input[Examples], transformed_examples: Output[Examples]) -> None:
    """Transform examples with TFT."""


def chain(n: int, *, gpu_every: int = 10) -> PipelineIR:
    """n nodes in a line, each with CPU/memory and every `gpu_every`-th with a GPU."""
    nodes = [CsvExampleGen().with_id("n0000")]
    for i in range(1, n):
        upstream = nodes[-1].outputs.get("examples") or nodes[-1].outputs["transformed_examples"]
        nodes.append(Transform(examples=upstream).with_id(f"n{i:04d}"))
    _resources(nodes, gpu_every)
    return build(Pipeline(name=f"chain-{n}", components=nodes))


def fan_out(n: int, *, gpu_every: int = 10) -> PipelineIR:
    """One source and n - 1 nodes that all read it."""
    source = CsvExampleGen().with_id("n0000")
    nodes = [source] + [
        StatisticsGen(examples=source.outputs["examples"]).with_id(f"n{i:04d}")
        for i in range(1, n)
    ]
    _resources(nodes, gpu_every)
    return build(Pipeline(name=f"fan-out-{n}", components=nodes))


def _resources(nodes, gpu_every: int) -> None:
    for i, node in enumerate(nodes):
        node.with_resources(cpu="500m", memory="1Gi", gpu=1 if i % gpu_every == 0 else 0)


def containers(gpu: int = 1) -> PipelineIR:
    """tests/support/custom_components.py: function, class and container components (one
    container with GPUs), as a user's pipeline file loaded by path."""
    from headrace.dsl.loader import import_file

    module = import_file(str(REPO / "tests" / "support" / "custom_components.py"))
    pipeline = module.create_pipeline()
    for node in pipeline.components:
        if node.id == "CountLines" and gpu:
            node.with_resources(cpu="2", memory="1Gi", gpu=gpu)
    return portable(build(pipeline))


def portable(ir: PipelineIR) -> PipelineIR:
    """The IR with `defined_at` relative to the repository, so golden YAML does not depend on
    where the checkout lives (the IR records absolute call sites)."""
    nodes = tuple(
        dataclasses.replace(n, defined_at=os.path.relpath(n.defined_at, REPO))
        if n.defined_at.startswith(str(REPO)) else n
        for n in ir.nodes
    )
    return dataclasses.replace(ir, nodes=nodes)
