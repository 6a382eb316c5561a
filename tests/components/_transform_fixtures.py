"""Shared inputs of the Transform, Trainer and Tuner tests: the penguin data as an Examples
artifact (gzipped tf.Example TFRecords in `Split-train/` and `Split-eval/`) and a TFDV-inferred
Schema, two tiny components that hand them to a pipeline, and a runner helper.

Built once per test process (module-level memo), so every test module that imports these shares
them, and nothing depends on the other components being built yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace import Output, Parameter, Pipeline, component
from headrace.types import Examples, Schema

HERE = Path(__file__).parent
DATA = HERE / "data"
MODULES = HERE / "modules"
# The penguin example's own module file (preprocessing_fn, run_fn, tuner_fn).
PENGUIN_MODULE = HERE.parents[1] / "examples" / "penguin" / "penguin_utils.py"
PENGUIN_CSV = DATA / "penguins_processed.csv"


@dataclass(frozen=True)
class PreparedInputs:
    examples_dir: str  # Split-train/, Split-eval/
    schema_file: str
    eval_rows: list[dict[str, Any]]  # the raw eval rows, label included


def hash_split(row: dict[str, Any], eval_buckets: int = 1, total_buckets: int = 3) -> str:
    """A stable 2:1 train/eval split by a hash of the row, as ExampleGen does."""
    digest = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
    return "eval" if int(digest, 16) % total_buckets < eval_buckets else "train"


def to_example(row: dict[str, Any]) -> bytes:
    import tensorflow as tf

    feature = {}
    for name, value in row.items():
        if value is None or (isinstance(value, float) and value != value):
            continue  # missing: no value, as ExampleGen writes it
        if isinstance(value, str):
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        elif isinstance(value, int):
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
        else:
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_examples(frame: Any, directory: str) -> dict[str, list[dict[str, Any]]]:
    """Write the data frame's rows as gzipped TFRecords, split 2:1 by row hash."""
    import pandas as pd
    import tensorflow as tf

    rows: dict[str, list[dict[str, Any]]] = {"train": [], "eval": []}
    for record in frame.to_dict("records"):
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
        row = {k: (None if v is pd.NA else v) for k, v in row.items()}
        rows[hash_split(row)].append(row)
    for split, part in rows.items():
        os.makedirs(os.path.join(directory, f"Split-{split}"), exist_ok=True)
        path = os.path.join(directory, f"Split-{split}", "data_tfrecord-00000-of-00001.gz")
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for row in part:
                writer.write(to_example(row))
    return rows


def write_schema(frame: Any, path: str) -> None:
    """Infer the schema with TFDV, as SchemaGen does, and write it as text."""
    import tensorflow_data_validation as tfdv

    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(frame))
    tfdv.write_schema_text(schema, path)


_PREPARED: dict[str, PreparedInputs] = {}


def prepare(name: str, csv: Path, directory: Path, *, nrows: int | None = None) -> PreparedInputs:
    """The Examples directory and schema file for a CSV, built once per process."""
    if name not in _PREPARED:
        import pandas as pd

        frame = pd.read_csv(csv, nrows=nrows)
        for column in frame.columns:
            # A column of whole numbers with gaps is INT, as CsvExampleGen infers it (pandas
            # reads it as float because of the gaps).
            values = frame[column].dropna()
            if frame[column].dtype.kind == "f" and len(values) and (values == values.round()).all():
                frame[column] = frame[column].astype("Int64")
        examples_dir = directory / name / "examples"
        rows = write_examples(frame, str(examples_dir))
        schema_file = directory / name / "schema.pbtxt"
        write_schema(frame, str(schema_file))
        _PREPARED[name] = PreparedInputs(str(examples_dir), str(schema_file), rows["eval"])
    return _PREPARED[name]


@component
def give_examples(source: Parameter[str], examples: Output[Examples]) -> None:
    """Hand a prepared Examples directory to the pipeline (a stand-in for ExampleGen)."""
    shutil.copytree(source, examples.uri, dirs_exist_ok=True)
    splits = sorted(d.removeprefix("Split-") for d in os.listdir(source))
    examples.properties["split_names"] = json.dumps(splits)  # type: ignore[attr-defined]


@component
def give_schema(source: Parameter[str], schema: Output[Schema]) -> None:
    """Hand a prepared schema file to the pipeline (a stand-in for SchemaGen)."""
    shutil.copy(source, os.path.join(schema.uri, "schema.pbtxt"))  # type: ignore[attr-defined]


def inputs_nodes(prepared: PreparedInputs) -> tuple[Any, Any]:
    return give_examples(source=prepared.examples_dir), give_schema(source=prepared.schema_file)


def run(url: str, root: Path, components: list[Any], name: str = "components") -> Any:
    """One run of a pipeline of these components through the real local runner."""
    from headrace.ir import build
    from headrace.metadata import open_store
    from headrace.runner import LocalRunner

    pipeline = Pipeline(name=name, components=components)
    runner = LocalRunner(store=open_store(url), metadata_url=url)
    return runner.run(build(pipeline), root=str(root))


def outcomes(summary: Any) -> dict[str, str]:
    return {node: result.outcome for node, result in summary.results.items()}


def output(summary: Any, node: str, port: str) -> Any:
    [artifact] = summary.results[node].outputs[port]
    return artifact


@dataclass(frozen=True)
class PenguinRuns:
    """Transform -> Tuner -> Trainer on the penguin data, run three times on one store: first,
    again unchanged (all cache hits), and after an edit of the module file."""

    url: str
    root: Path
    module_file: Path
    prepared: PreparedInputs
    first: Any
    again: Any
    edited: Any


_RUNS: dict[str, PenguinRuns] = {}


def penguin_pipeline(prepared: PreparedInputs, module_file: str) -> list[Any]:
    from headrace.components.trainer import Trainer
    from headrace.components.transform import Transform
    from headrace.components.tuner import Tuner

    examples, schema = inputs_nodes(prepared)
    transform = Transform(
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        module_file=module_file,
    )
    tuner = Tuner(
        module_file=module_file,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        train_args={"num_steps": 20},
        eval_args={"num_steps": 5},
    )
    trainer = Trainer(
        module_file=module_file,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema.outputs["schema"],
        hyperparameters=tuner.outputs["best_hyperparameters"],
        train_args={"num_steps": 100},
        eval_args={"num_steps": 5},
    )
    return [examples, schema, transform, tuner, trainer]


def penguin_runs(tmp_path_factory: Any) -> PenguinRuns:
    """Built once per test process, whichever test module asks first."""
    if "penguin" not in _RUNS:
        root = Path(tmp_path_factory.mktemp("penguin"))
        prepared = prepare("penguin", PENGUIN_CSV, root / "inputs")
        module_file = root / "penguin_utils.py"  # a copy, so that the test can edit it
        shutil.copy(PENGUIN_MODULE, module_file)
        url = f"sqlite://{root}/metadata.sqlite"
        first = run(url, root, penguin_pipeline(prepared, str(module_file)), "penguin")
        again = run(url, root, penguin_pipeline(prepared, str(module_file)), "penguin")
        module_file.write_text(module_file.read_text() + "\n# edited: the cache key changes\n")
        edited = run(url, root, penguin_pipeline(prepared, str(module_file)), "penguin")
        _RUNS["penguin"] = PenguinRuns(url, root, module_file, prepared, first, again, edited)
    return _RUNS["penguin"]


def serialized_examples(rows: list[dict[str, Any]]) -> Any:
    import tensorflow as tf

    return tf.constant([to_example(row) for row in rows])
