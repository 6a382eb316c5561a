"""Transform throughput: rows/s and peak RSS of the Transform component (TFT analysis of the train
split, then every split transformed and written) on the Chicago taxi data (15,002 rows, TFX's
taxi module: vocabularies, quantile buckets, z-scores) and on a synthetic input (1M rows by
default: 6 float, 2 int and 2 string features; z-scores, buckets and vocabularies).

    uv run python benchmarks/transform.py [--rows 1000000] [--cases taxi,synthetic]
        [--beam-arg=--direct_running_mode=multi_processing --beam-arg=--direct_num_workers=2]

Each case runs in a fresh process, so its peak RSS is its own; the time covers the Transform
call only (not the ~20 s of importing TensorFlow, nor writing the input). Inputs are written
once under --workdir (default: a temporary directory) as gzipped tf.Example TFRecords, 2:1
train/eval, the layout ExampleGen writes.

Measured on the 2-core development machine (DirectRunner in-process, the default): taxi 12 s
(1,250 rows/s; a fixed ~10 s of Beam/TFT graph building and analysis dominates at this size),
1M synthetic rows 39.5 s (25,000 rows/s), peak RSS 1.2 GiB. Reading and writing TFRecords through
TFXIO's and Beam's per-record source and sink instead took 80 s (12,500 rows/s). Beam's
multi-processing mode with 2 workers is slower here (54 s): its workers cost more to start and
feed than the second core gives back.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAXI_CSV = Path(
    os.environ.get("HEADRACE_TAXI_CSV", HERE.parent.parent / "shared/data/chicago_taxi/data.csv")
)
TAXI_MODULE = HERE.parent / "examples" / "chicago_taxi" / "taxi_utils.py"

SYNTHETIC_MODULE = '''"""Synthetic preprocessing: z-scores, quantile buckets and vocabularies."""
import tensorflow_transform as tft


def preprocessing_fn(inputs):
    outputs = {}
    for i in range(6):
        outputs[f"f{i}_xf"] = tft.scale_to_z_score(inputs[f"f{i}"])
    for i in range(2):
        outputs[f"b{i}_xf"] = tft.bucketize(inputs[f"f{i}"], 10)
    for i in range(2):
        outputs[f"i{i}_xf"] = tft.scale_by_min_max(inputs[f"i{i}"])
    for i in range(2):
        outputs[f"s{i}_xf"] = tft.compute_and_apply_vocabulary(inputs[f"s{i}"], top_k=1000)
    outputs["label"] = inputs["label"]
    return outputs
'''


def write_split_examples(batches_by_split: dict, directory: Path, shards: int = 4) -> None:
    """Write Arrow RecordBatches as gzipped tf.Example TFRecords, `Split-<name>/` per split."""
    import tensorflow as tf
    from tfx_bsl.coders import example_coder

    encoder = example_coder.RecordBatchToExamplesEncoder()
    for split, batches in batches_by_split.items():
        (directory / f"Split-{split}").mkdir(parents=True, exist_ok=True)
        writers = [
            tf.io.TFRecordWriter(
                str(directory / f"Split-{split}" / f"data-{i:05d}-of-{shards:05d}.gz"), "GZIP"
            )
            for i in range(shards)
        ]
        for n, batch in enumerate(batches):
            writer = writers[n % shards]
            for record in encoder.encode(batch):
                writer.write(record)
        for writer in writers:
            writer.close()


def _split(table, seed: int = 0):
    import numpy as np

    eval_mask = np.random.default_rng(seed).random(table.num_rows) < 1 / 3
    return {"train": table.filter(~eval_mask), "eval": table.filter(eval_mask)}


def _as_lists(table):
    """Each column as a list column (one value per row, none where the cell is empty)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        column = column.combine_chunks()
        offsets = pa.array(
            np.concatenate([[0], np.cumsum(~np.asarray(column.is_null()))]), pa.int32()
        )
        values = pc.drop_null(column)
        if pa.types.is_floating(values.type):
            values = values.cast(pa.float32())
        elif pa.types.is_integer(values.type):
            values = values.cast(pa.int64())
        elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            values = values.cast(pa.binary())
        columns.append(pa.ListArray.from_arrays(offsets, values))
    return pa.Table.from_arrays(columns, names=table.column_names)


def prepare_taxi(directory: Path) -> int:
    import pandas as pd
    import pyarrow.csv as pacsv
    import tensorflow_data_validation as tfdv

    table = pacsv.read_csv(TAXI_CSV)
    splits = {name: _as_lists(t) for name, t in _split(table).items()}
    write_split_examples({s: t.to_batches(2000) for s, t in splits.items()}, directory / "ex")
    frame = pd.read_csv(TAXI_CSV)
    for column in frame.columns:  # whole numbers with gaps are INT, as CsvExampleGen infers
        values = frame[column].dropna()
        if frame[column].dtype.kind == "f" and len(values) and (values == values.round()).all():
            frame[column] = frame[column].astype("Int64")
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(frame))
    (directory / "schema").mkdir(exist_ok=True)
    tfdv.write_schema_text(schema, str(directory / "schema" / "schema.pbtxt"))
    return table.num_rows


def prepare_synthetic(directory: Path, rows: int) -> int:
    import numpy as np
    import pyarrow as pa
    import tensorflow as tf
    from tensorflow_transform.tf_metadata import schema_utils

    rng = np.random.default_rng(1)
    words = np.array([f"word{i}".encode() for i in range(5000)], dtype=object)
    columns = {f"f{i}": rng.normal(i, 1 + i, rows).astype(np.float32) for i in range(6)}
    columns |= {f"i{i}": rng.integers(0, 1000, rows) for i in range(2)}
    columns |= {f"s{i}": words[rng.zipf(1.3, rows) % len(words)] for i in range(2)}
    columns["label"] = rng.integers(0, 2, rows)
    table = pa.table(columns)
    splits = {name: _as_lists(t) for name, t in _split(table).items()}
    write_split_examples({s: t.to_batches(10000) for s, t in splits.items()}, directory / "ex")
    spec = {f"f{i}": tf.io.FixedLenFeature([1], tf.float32) for i in range(6)}
    spec |= {f"i{i}": tf.io.FixedLenFeature([1], tf.int64) for i in range(2)}
    spec |= {f"s{i}": tf.io.FixedLenFeature([1], tf.string) for i in range(2)}
    spec["label"] = tf.io.FixedLenFeature([1], tf.int64)
    (directory / "schema").mkdir(exist_ok=True)
    schema = schema_utils.schema_from_feature_spec(spec)
    from google.protobuf import text_format

    (directory / "schema" / "schema.pbtxt").write_text(text_format.MessageToString(schema))
    (directory / "module.py").write_text(SYNTHETIC_MODULE)
    return rows


def run_case(case: str, directory: Path, rows: int, beam_args: list[str]) -> dict:
    """In this (fresh) process: prepare the input if needed, then time one Transform."""
    import headrace  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
    from headrace.components.transform import Transform
    from headrace.dsl import ExecutionContext
    from headrace.types import Examples, Schema, TransformGraph

    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / "rows.json"
    if not marker.exists():
        started = time.perf_counter()
        n = prepare_taxi(directory) if case == "taxi" else prepare_synthetic(directory, rows)
        marker.write_text(json.dumps({"rows": n, "seconds": time.perf_counter() - started}))
    n = json.loads(marker.read_text())["rows"]
    # Imported before the clock starts: the figure is Transform's work, not import time.
    import apache_beam  # noqa: F401
    import tensorflow_transform.beam  # noqa: F401
    import tfx_bsl.public.tfxio  # noqa: F401

    module = TAXI_MODULE if case == "taxi" else directory / "module.py"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory(dir=directory) as out:
        graph, transformed = TransformGraph(f"{out}/graph"), Examples(f"{out}/examples")
        os.makedirs(graph.uri)
        os.makedirs(transformed.uri)
        context = ExecutionContext(
            pipeline="benchmark",
            pipeline_root=out,
            run_id="benchmark",
            node_id="Transform",
            execution_id=1,
            beam_args=tuple(beam_args),
            temp_dir=f"{out}/tmp",
        )
        started = time.perf_counter()
        Transform.fn(
            examples=Examples(str(directory / "ex"), {"split_names": '["eval", "train"]'}),
            schema=Schema(str(directory / "schema")),
            transform_graph=graph,
            transformed_examples=transformed,
            module_file=str(module),
            context=context,
        )
        seconds = time.perf_counter() - started
    return {
        "case": case,
        "rows": n,
        "seconds": seconds,
        "rows_per_s": n / seconds,
        "rss_after_imports_mib": rss_before / 1024,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # Beam's multi-processing workers (the largest one that has exited), if any.
        "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows")
    parser.add_argument("--cases", default="taxi,synthetic")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--beam-arg", action="append", default=[], dest="beam_args")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="headrace-bench-transform-"))
    if args.child:
        directory = workdir / (args.child if args.child == "taxi" else f"synthetic-{args.rows}")
        print(json.dumps(run_case(args.child, directory, args.rows, args.beam_args)))
        return
    print(f"Transform benchmark (inputs under {workdir}; Beam args: {args.beam_args or 'default'})")
    for case in args.cases.split(","):
        command = [sys.executable, __file__, "--child", case, "--rows", str(args.rows)]
        command += ["--workdir", str(workdir), *(f"--beam-arg={a}" for a in args.beam_args)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{case}: failed\n{done.stderr[-3000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:>9}: {r['rows']:>9,} rows in {r['seconds']:6.1f} s = "
            f"{r['rows_per_s']:>8,.0f} rows/s; peak RSS {r['peak_rss_mib']:,.0f} MiB "
            f"({r['rss_after_imports_mib']:,.0f} MiB after imports)"
            + (
                f"; largest Beam worker {r['worker_peak_rss_mib']:,.0f} MiB"
                if r["worker_peak_rss_mib"] > 1
                else ""
            )
        )


if __name__ == "__main__":
    main()
