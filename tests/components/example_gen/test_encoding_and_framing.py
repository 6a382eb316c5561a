"""The vectorised tf.Example encoder, TFRecord framing and split hashing, without Beam."""

from __future__ import annotations

import gzip
import os
import struct
from concurrent.futures import ThreadPoolExecutor

import google_crc32c
import numpy as np
import pyarrow as pa
import pytest

from headrace.components.example_gen import ExampleGenError
from headrace.components.example_gen import encoder as encoder_module
from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.csv_source import classify
from headrace.components.example_gen.encoder import ExampleEncoder, _encode_with_tfx_bsl
from headrace.components.example_gen.splitting import SplitAssigner, partition_key_hashes
from headrace.components.example_gen.tfrecord import (
    GzipShardWriter,
    contiguous,
    crc32c_of_lengths,
    frame,
    mask,
    read_records,
    record_crcs,
)
from tests.components.example_gen.example_gen_helpers import parse_example


def _batch() -> pa.RecordBatch:
    rng = np.random.default_rng(3)
    n = 500
    ints = rng.integers(-(2**62), 2**62, n)
    ints[:4] = [0, -1, 2**63 - 1, -(2**63)]
    text = [None if i % 9 == 0 else "é" * (i % 300) + str(i) for i in range(n)]
    return pa.RecordBatch.from_arrays(
        [
            pa.array(ints, mask=rng.random(n) < 0.2),
            pa.array(rng.normal(size=n), mask=rng.random(n) < 0.2),
            pa.array(rng.normal(size=n).astype(np.float32)),
            pa.array(text, pa.string()),
            pa.array([b"\x00\xff" * (i % 5) for i in range(n)], pa.binary()),
            pa.nulls(n),
            pa.array([i % 3 == 0 for i in range(n)]),
            pa.array(rng.integers(0, 100, n), pa.uint8()),
        ],
        ["i64", "f64", "f32", "text", "raw", "nothing", "flag", "k" * 200],
    )


def test_vectorised_encoder_writes_the_same_examples_as_tfx_bsl() -> None:
    batch = _batch()
    ours = ExampleEncoder().encode(batch).to_pylist()
    reference = _encode_with_tfx_bsl(batch).to_pylist()
    assert len(ours) == len(reference) == batch.num_rows
    for mine, theirs in zip(ours, reference, strict=True):
        assert parse_example(mine) == parse_example(theirs)


def test_missing_values_are_keys_with_an_empty_feature() -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array([1, None]), pa.array([None, "x"]), pa.array([None, 0.5])], ["a", "b", "c"]
    )
    first, second = (parse_example(r) for r in ExampleEncoder().encode(batch).to_pylist())
    assert first == {"a": ("int", [1]), "b": (None, []), "c": (None, [])}
    assert second == {"a": (None, []), "b": ("bytes", [b"x"]), "c": ("float", [0.5])}


def test_list_columns_go_through_tfx_bsl() -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array([[1, 2], [], None]), pa.array(["a", "b", None])], ["l", "s"]
    )
    decoded = [parse_example(r) for r in ExampleEncoder().encode(batch).to_pylist()]
    assert decoded[0] == {"l": ("int", [1, 2]), "s": ("bytes", [b"a"])}
    assert decoded[1]["l"] == ("int", [])
    assert decoded[2] == {"l": (None, []), "s": (None, [])}


def test_framing_matches_the_tfrecord_format() -> None:
    records = pa.array([b"", b"a", b"x" * 1000], pa.large_binary())
    framed = bytes(frame(records, record_crcs(records)))
    expected = b""
    for data in (b"", b"a", b"x" * 1000):
        length = struct.pack("<Q", len(data))
        expected += length + struct.pack("<I", _masked(google_crc32c.value(length)))
        expected += data + struct.pack("<I", _masked(google_crc32c.value(data)))
    assert framed == expected
    lengths = np.array([0, 1, 255, 2**40], np.uint64)
    assert list(crc32c_of_lengths(lengths)) == [
        google_crc32c.value(struct.pack("<Q", int(v))) for v in lengths
    ]
    assert mask(np.array([0], np.uint32))[0] == 0xA282EAD8


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_gzip_shards_are_concatenated_members_that_read_back(tmp_path) -> None:
    records = pa.array([f"record {i}".encode() * (i % 13) for i in range(3000)], pa.large_binary())
    path = str(tmp_path / "shard.gz")
    with ThreadPoolExecutor(2) as pool:
        writer = GzipShardWriter(path, pool, member_bytes=1000, max_pending=2)
        for start in range(0, 3000, 700):
            chunk = records.slice(start, 700)
            writer.write(frame(chunk, record_crcs(chunk)), len(chunk))
        writer.close()
    assert writer.records == 3000
    with open(path, "rb") as f:
        assert f.read().count(b"\x1f\x8b\x08") == 5  # one member per write of 700 records
    read = [r for chunk in read_records(path, "gzip", 128) for r in chunk]
    assert read == records.to_pylist()
    with open(path, "rb") as f:
        assert gzip.decompress(f.read()).startswith(struct.pack("<Q", 0))


def test_empty_shard_is_a_valid_empty_gzip_file(tmp_path) -> None:
    with ThreadPoolExecutor(1) as pool:
        writer = GzipShardWriter(str(tmp_path / "e.gz"), pool)
        writer.close()
    assert gzip.decompress((tmp_path / "e.gz").read_bytes()) == b""


def test_corrupt_record_is_reported_with_its_offset(tmp_path) -> None:
    records = pa.array([b"abc", b"defg"], pa.large_binary())
    data = bytearray(frame(records, record_crcs(records)))
    data[-2] ^= 0xFF  # the second record's data checksum
    (tmp_path / "bad.gz").write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(
        ExampleGenError, match=r"bad\.gz: record at uncompressed byte 19 is corrupt"
    ):
        list(read_records(str(tmp_path / "bad.gz"), "gzip", 10))


def test_split_assignment_is_deterministic_and_proportional() -> None:
    assigner = SplitAssigner(names=("a", "b"), buckets=(3, 1))
    hashes = np.arange(40_000, dtype=np.uint32)
    chosen = assigner.assign(hashes)
    assert np.array_equal(chosen, assigner.assign(hashes.copy()))
    assert np.mean(chosen == 0) == pytest.approx(0.75, abs=0.01)
    # Known values pin the hash: a change would silently move rows between splits.
    assert list(assigner.assign(np.array([0, 1, 2, 3, 2**32 - 1], np.uint32))) == [0, 1, 0, 1, 0]


def test_partition_keys_hash_values_not_positions() -> None:
    ints = partition_key_hashes(pa.array([5, None, 5, 7]), "k")
    assert ints[0] == ints[2] != ints[3]
    assert ints[1] == google_crc32c.value(b"")
    assert partition_key_hashes(pa.array(["5"]), "k")[0] == ints[0]  # the value as text
    lists = partition_key_hashes(pa.array([[b"x", b"y"], [b"x"], []]), "k")
    assert lists[0] == lists[1] == google_crc32c.value(b"x")


@pytest.mark.parametrize(
    ("cells", "current", "expected"),
    [
        (["1", None, "-3"], ColumnType.UNKNOWN, ColumnType.INT),
        (["1", "2.5"], ColumnType.UNKNOWN, ColumnType.FLOAT),
        (["1"], ColumnType.FLOAT, ColumnType.FLOAT),
        (["2.5"], ColumnType.INT, ColumnType.FLOAT),
        (["1", "a"], ColumnType.INT, ColumnType.STRING),
        ([None, None], ColumnType.INT, ColumnType.INT),
        (["true"], ColumnType.UNKNOWN, ColumnType.STRING),
        (["1e3", "inf"], ColumnType.UNKNOWN, ColumnType.FLOAT),
        ([" 4 "], ColumnType.UNKNOWN, ColumnType.INT),
    ],
)
def test_column_type_classification(cells, current, expected) -> None:
    assert classify(pa.array(cells, pa.string()), current) is expected


def test_gzip_members_decompress_alone_and_concatenated() -> None:
    from headrace.components.example_gen import gzip_member

    data = b"".join(f"row {i};".encode() * (i % 7) for i in range(5000))
    source = memoryview(pa.py_buffer(data))  # any buffer, read-only ones too
    members = [gzip_member.compress_member(source, level) for level in range(4)]
    assert all(gzip.decompress(m) == data for m in members)
    assert gzip.decompress(b"".join(members)) == data * 4  # concatenated members
    assert len(members[1]) < len(data) / 3


def test_prefetch_yields_in_order_passes_errors_and_stops_early() -> None:
    from headrace.components.example_gen.prefetch import prefetched

    assert list(prefetched(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        list(prefetched(failing(), depth=2))

    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = prefetched(endless(), depth=2)
    assert next(items) == 0
    items.close()  # joins the producer, which must notice and stop
    assert len(produced) < 10


def test_threads_per_unit_share_the_cpus_among_worker_processes(monkeypatch) -> None:
    from headrace.components.example_gen import EngineOptions

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    multi = ("--direct_running_mode=multi_processing", "--direct_num_workers=4")
    assert EngineOptions().worker_threads() == 8
    assert EngineOptions(beam_args=multi).worker_threads() == 2
    assert EngineOptions(beam_args=multi, threads=3).worker_threads() == 3
    with pytest.raises(ExampleGenError, match="threads must be positive"):
        EngineOptions(threads=0)


# --- the C kernel (_wire.c) against the numpy path ----------------------------------------------

needs_kernel = pytest.mark.skipif(
    encoder_module._wire is None and not os.environ.get("HEADRACE_REQUIRE_C_KERNEL"),
    reason="the C kernel was not built (no C compiler when the package was installed)",
)


def _edge_batch() -> pa.RecordBatch:
    n = 6
    return pa.RecordBatch.from_arrays(
        [
            pa.array(["", "x" * 300, None, "y" * 127, "z" * 128, "é" * 70_000]),
            pa.array([None] * n, pa.int64()),
            pa.array([2**63 - 1, -(2**63), 0, 127, 128, None]),
            pa.array([float("nan"), float("inf"), -0.0, 1e-45, None, 3.5]),
        ],
        ["text", "all_missing", "ints", "floats"],
    )


@needs_kernel
@pytest.mark.parametrize("make", [_batch, _edge_batch, lambda: _batch().slice(7, 300)])
def test_the_c_kernel_frames_the_same_bytes_as_the_numpy_path(make) -> None:
    assert encoder_module._wire is not None, "HEADRACE_REQUIRE_C_KERNEL is set: build it"
    batch = make()
    framed, crcs = ExampleEncoder().encode_framed(batch)
    records = ExampleEncoder().encode(batch)
    assert bytes(contiguous(framed)) == bytes(frame(records, record_crcs(records)))
    assert list(crcs) == [google_crc32c.value(r) for r in records.to_pylist()]
    assert len(framed) == batch.num_rows


@needs_kernel
def test_the_c_kernel_refuses_buffers_that_do_not_fit() -> None:
    wire = encoder_module._wire
    key = b"\x0a\x01a\x12"
    offsets, crcs = np.empty(3, np.int64), np.empty(2, np.uint32)
    with pytest.raises(ValueError, match="column 0: values has 8 bytes, needs 16"):
        wire.encode(2, [(0, key, np.zeros(1, np.int64), None, None)], offsets, crcs, bytearray)
    with pytest.raises(ValueError, match="column 0: bad offsets at row 1"):
        bad = np.array([0, 2, 9], np.int64)
        wire.encode(2, [(2, key, bad, None, b"abcd")], offsets, crcs, bytearray)
    with pytest.raises(ValueError, match="offsets_out needs n\\+1 int64"):
        wire.encode(2, [], np.empty(2, np.int64), crcs, bytearray)
    with pytest.raises(ValueError, match="returned a smaller buffer"):
        wire.encode(1, [(3, key, None, None, None)], offsets, crcs, lambda size: bytearray(1))
    assert wire.crc32c(b"123456789") == google_crc32c.value(b"123456789") == 0xE3069283


def test_without_the_c_kernel_conversion_writes_the_same_shards(tmp_path, monkeypatch) -> None:
    from headrace.components.example_gen import csv_to_examples

    path = tmp_path / "mixed.csv"
    rows = ["a,b,c"] + [
        f"{i},{i * 0.5},w{i % 7}" if i % 5 else f'{-i},,"q,{i}"' for i in range(999)
    ]
    path.write_text("\n".join(rows) + "\n")
    first = csv_to_examples(str(path), str(tmp_path / "kernel"))
    monkeypatch.setattr(encoder_module, "_wire", None)
    second = csv_to_examples(str(path), str(tmp_path / "numpy"))
    assert first.rows_per_split == second.rows_per_split and first.total_rows == 999
    for split in first.split_names:
        [mine] = (tmp_path / "kernel" / f"Split-{split}").iterdir()
        [theirs] = (tmp_path / "numpy" / f"Split-{split}").iterdir()
        assert gzip.decompress(mine.read_bytes()) == gzip.decompress(theirs.read_bytes())
