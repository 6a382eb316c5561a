"""Converting one work unit: read, encode, assign splits, frame and write its shards.

Each attempt writes into files of its own (`.attempts/` in the staging directory); the
pipeline renames the attempts that stand to TFX's shard names at the end. Memory stays
bounded by one batch plus a few gzip members in flight, whatever the input size.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import os
import uuid
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from headrace.components.example_gen import tfrecord
from headrace.components.example_gen.arrow_columns import column_kind
from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.encoder import ExampleEncoder
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.prefetch import prefetched
from headrace.components.example_gen.sources import Source
from headrace.components.example_gen.splitting import SplitAssigner, partition_key_hashes
from headrace.components.example_gen.tfrecord_source import partition_column
from headrace.components.example_gen.units import Attempt, TypesChanged, WorkUnit

ATTEMPTS_DIR = ".attempts"


@dataclass(frozen=True, kw_only=True)
class Converter:
    """Everything a worker needs besides the unit; pickled into Beam workers."""

    source: Source
    staging_dir: str
    split_names: tuple[str, ...]
    assigner: SplitAssigner | None  # None: pre-split input, rows go to the unit's split
    partition_feature: str | None

    def attempt(self, unit: WorkUnit, types: dict[str, ColumnType] | None = None) -> Attempt:
        """Convert a unit; bad data comes back as Attempt.error, not as an exception."""
        try:
            return self._write(unit, types)
        except TypesChanged:
            scanned = self.source.scan(unit)  # also finds the line of any bad data
            if scanned.error:
                return Attempt(unit=unit, error=scanned.error)
            return self.attempt(unit, scanned.types)
        except ExampleGenError as exc:
            return Attempt(unit=unit, error=str(exc))

    def _write(self, unit: WorkUnit, types: dict[str, ColumnType] | None) -> Attempt:
        options = self.source.options
        threads = options.worker_threads()
        folder = os.path.join(self.staging_dir, ATTEMPTS_DIR, uuid.uuid4().hex)
        os.makedirs(folder)
        splits = self.split_names if self.assigner is not None else (unit.split,)
        writers: dict[str, tfrecord.GzipShardWriter] = {}
        kinds: dict[str, set[ColumnType]] = {}
        rows_in = 0
        last: pa.RecordBatch | None = None
        encoder = ExampleEncoder()
        pending: collections.deque[concurrent.futures.Future[_Framed]] = collections.deque()
        # Batches are encoded on a pool too: numpy and Arrow release the GIL for most of the
        # work, so a second core helps; results are written in reading order, which keeps
        # the output identical from run to run.
        with (
            concurrent.futures.ThreadPoolExecutor(threads) as compress_pool,
            concurrent.futures.ThreadPoolExecutor(threads) as encode_pool,
        ):
            try:
                for split in splits:
                    writers[split] = tfrecord.GzipShardWriter(  # type: ignore[index]
                        os.path.join(folder, f"{split}.gz"),
                        compress_pool,
                        level=options.compression_level,
                        member_bytes=options.gzip_member_bytes,
                        max_pending=threads + 1,
                    )
                batches = prefetched(self.source.read(unit, types), depth=2)
                with contextlib.closing(batches):  # stops the reading thread on errors too
                    for item in batches:
                        if isinstance(item, pa.RecordBatch):
                            _note_kinds(item, kinds)
                            last = item if item.num_rows else last
                        rows_in += len(item)
                        pending.append(encode_pool.submit(self._encode, item, unit, encoder))
                        while len(pending) > threads:
                            _write_framed(pending.popleft().result(), writers)
                while pending:
                    _write_framed(pending.popleft().result(), writers)
                for writer in writers.values():
                    writer.close()
            except BaseException:
                for future in pending:
                    future.cancel()
                for writer in writers.values():
                    writer.abort()
                raise
        return Attempt(
            unit=unit,
            files={split: w.path for split, w in writers.items()},
            rows_per_split={split: w.records for split, w in writers.items()},
            rows_in=rows_in,
            kinds={n: tuple(sorted(k, key=lambda t: t.value)) for n, k in kinds.items()},
            cut_suspect=self.source.cut_suspect(unit, last),
        )

    def _encode(
        self, item: pa.RecordBatch | pa.Array, unit: WorkUnit, encoder: ExampleEncoder
    ) -> _Framed:
        """Serialized, split and framed rows of one batch: [(split, TFRecord bytes, rows)]."""
        hashes = self._partition_hashes(item, unit)
        if isinstance(item, pa.RecordBatch):
            framed, crcs = encoder.encode_framed(item)
        else:
            crcs = tfrecord.record_crcs(item)
            framed = tfrecord.framed_records(item, crcs)
        if len(framed) == 0:
            return []
        if self.assigner is None:
            return [(unit.split, tfrecord.contiguous(framed), len(framed))]  # type: ignore[list-item]
        chosen = self.assigner.assign(crcs if hashes is None else hashes)
        parts = []
        for position, name in enumerate(self.assigner.names):
            rows = np.flatnonzero(chosen == position)
            if len(rows) == 0:
                continue
            subset = framed if len(rows) == len(framed) else framed.take(pa.array(rows))
            parts.append((name, tfrecord.contiguous(subset), len(rows)))
        return parts

    def _partition_hashes(
        self, item: pa.RecordBatch | pa.Array, unit: WorkUnit
    ) -> np.ndarray | None:
        feature = self.partition_feature
        if feature is None:
            return None
        if isinstance(item, pa.RecordBatch):
            if feature not in item.schema.names:
                raise ExampleGenError(
                    f"{unit.path}: partition feature {feature!r} is not a column; columns:"
                    f" {item.schema.names}"
                )
            column = item.column(item.schema.get_field_index(feature))
        else:
            column = partition_column(item, feature, unit.path)
        return partition_key_hashes(column, feature)


_Framed = list[tuple[str, memoryview, int]]


def _write_framed(framed: _Framed, writers: dict[str, tfrecord.GzipShardWriter]) -> None:
    for split, data, rows in framed:
        writers[split].write(data, rows)


def _note_kinds(batch: pa.RecordBatch, kinds: dict[str, set[ColumnType]]) -> None:
    for field, column in zip(batch.schema, batch.columns, strict=True):
        found = kinds.setdefault(field.name, set())
        if column.null_count < len(column):  # only missing values say nothing of the kind
            found.add(column_kind(field.type) or ColumnType.STRING)
