"""tf.Example TFRecord files read as Arrow RecordBatches and written back, a whole batch per Beam
element.

Beam's TFRecord source and sink (which TFXIO's BeamSource uses) move one record per element
through Python: reading, checksumming and compressing each record costs more than TFT's work on
it. Here a file is read with tf.data and decoded by tfx-bsl in batches (the same decoder and
schema as TFXIO, so the RecordBatches are the same), and a bundle's batches are encoded by
tfx-bsl and written by TensorFlow's TFRecordWriter into a temporary shard that is renamed into
place only after the pipeline has produced it (a retried bundle leaves no duplicate records).

Imports Beam and tfx-bsl at module import: only executors import it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue
from tfx_bsl.coders import example_coder
from tfx_bsl.public import tfxio

DEFAULT_BATCH_SIZE = 4096


def match_files(patterns: Sequence[str]) -> list[str]:
    """The files (not directories) the glob patterns match, sorted."""
    import tensorflow as tf

    return sorted(
        {p for pattern in patterns for p in tf.io.gfile.glob(pattern) if not tf.io.gfile.isdir(p)}
    )


class ReadRecordBatches(beam.PTransform):  # type: ignore[misc]
    """PBegin -> PCollection[pa.RecordBatch] of the tf.Examples in `files`, decoded with
    `schema` (a TFMD Schema), at most `batch_size` rows per RecordBatch."""

    def __init__(self, files: Sequence[str], schema: Any, batch_size: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self._files = list(files)
        self._schema = schema
        self._batch_size = batch_size

    def expand(self, pipeline: Any) -> Any:
        return (
            pipeline
            | "Files" >> beam.Create(self._files)
            # One file per element, spread over workers when a runner has several.
            | "Spread" >> beam.Reshuffle()
            | "ReadFile" >> beam.ParDo(_ReadFile(self._schema, self._batch_size))
        )


class _ReadFile(beam.DoFn):  # type: ignore[misc]
    def __init__(self, schema: Any, batch_size: int) -> None:
        self._schema = schema
        self._batch_size = batch_size

    def process(self, path: str) -> Iterator[Any]:
        # TFXIO's own tf.data reader and decoder, for one file.
        record = tfxio.TFExampleRecord(file_pattern=path, schema=self._schema)
        options = tfxio.RecordBatchesOptions(
            batch_size=self._batch_size, num_epochs=1, shuffle=False
        )
        yield from record.RecordBatches(options)


class WriteExampleShards(beam.PTransform):  # type: ignore[misc]
    """PCollection[(pa.RecordBatch, ...)] or PCollection[pa.RecordBatch] -> gzipped tf.Example
    TFRecord shards `<directory>/<prefix>-00000-of-0000N.gz`; the output is the list of paths."""

    def __init__(self, directory: str, prefix: str) -> None:
        super().__init__()
        self._directory = directory
        self._prefix = prefix

    def expand(self, batches: Any) -> Any:
        staging = os.path.join(self._directory, f".incomplete-{uuid.uuid4().hex}")
        return (
            batches
            | "WriteShards" >> beam.ParDo(_WriteShard(staging))
            | "AllShards" >> beam.combiners.ToList()
            | "Commit" >> beam.Map(_commit, staging, self._directory, self._prefix)
        )


class _WriteShard(beam.DoFn):  # type: ignore[misc]
    """Each bundle's records into one new staging file, whose path is the bundle's output."""

    def __init__(self, staging: str) -> None:
        self._staging = staging

    def setup(self) -> None:
        self._encoder = example_coder.RecordBatchToExamplesEncoder()

    def start_bundle(self) -> None:
        self._writer: Any = None
        self._path = ""

    def process(self, element: Any) -> Iterator[Any]:
        import tensorflow as tf

        batch = element[0] if isinstance(element, tuple) else element
        if self._writer is None:
            tf.io.gfile.makedirs(self._staging)
            self._path = os.path.join(self._staging, f"{uuid.uuid4().hex}.gz")
            self._writer = tf.io.TFRecordWriter(self._path, "GZIP")
        for record in self._encoder.encode(batch):
            self._writer.write(record)
        return iter(())

    def finish_bundle(self) -> Iterator[Any]:
        if self._writer is not None:
            self._writer.close()
            yield WindowedValue(self._path, GlobalWindow().max_timestamp(), (GlobalWindow(),))


def _commit(paths: list[str], staging: str, directory: str, prefix: str) -> list[str]:
    import tensorflow as tf

    final = []
    for i, path in enumerate(sorted(paths)):
        target = os.path.join(directory, f"{prefix}-{i:05d}-of-{len(paths):05d}.gz")
        tf.io.gfile.rename(path, target, overwrite=True)
        final.append(target)
    if tf.io.gfile.exists(staging):
        # Only files of bundles that failed and were retried are left.
        tf.io.gfile.rmtree(staging)
    return final
