"""Bad input where it really happens: a CSV with only a header, a read-only root that holds
records, a read-only metadata store, a disk that fills up mid-write (small tmpfs mounts)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from headrace import Pipeline
from headrace.components import CsvExampleGen
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


@pytest.fixture
def tmpfs():
    """mount(size) -> a fresh tmpfs of that size (we are root here; skipped where not)."""
    mounted = []

    def mount(size: str) -> Path:
        where = Path(tempfile.mkdtemp(prefix="headrace-tmpfs-"))
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "none", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            message = f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root"
            if os.environ.get("HEADRACE_REQUIRE_ROOT_TOOLS") == "1":
                pytest.fail(message)
            pytest.skip(message)
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)
        os.rmdir(where)


def _remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def _headrace(*args, **env):
    return subprocess.run([sys.executable, "-m", "headrace", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def test_a_csv_with_a_header_and_no_rows_fails_at_example_gen_naming_the_file(
    tmp_path, sqlite_url
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "penguins.csv").write_text("species,culmen_length_mm,body_mass_g\n")
    gen = CsvExampleGen(input_base=str(data))
    ir = build(Pipeline(name="empty", components=[gen]))
    store = open_store(sqlite_url)
    summary = LocalRunner(store=store, metadata_url=sqlite_url).run(ir, root=str(tmp_path / "r"))
    [error] = summary.failed.values()
    assert str(error).startswith("Node 'CsvExampleGen': ExampleGen read 0 rows from ")
    assert f"{data}/penguins.csv: the input has a header (or records) but no data" in str(error)
    [execution] = store.get_run(summary.run_id).executions
    assert execution.state == "FAILED" and execution.outputs == {}  # nothing published
    assert glob.glob(f"{tmp_path}/r/empty/CsvExampleGen/examples/*") == []


def test_a_read_only_root_holding_records_says_so_and_keeps_them_readable(tmp_path, tmpfs):
    where = tmpfs("8m")
    root = str(where / "root")
    assert _headrace("run", DEMO, "--root", root).returncode == 0
    _remount(where, "ro")
    again = _headrace("run", DEMO, "--root", root)
    assert again.returncode == 20, again.stderr  # the infrastructure's: retryable
    message = " ".join(again.stderr.split())
    assert f"The pipeline root {root} cannot be written (Read-only file system)" in message
    assert f"Run with a writable --root. The runs recorded there stay readable: `headrace runs " \
        f"list --root {root}`" in message
    assert "INSERT INTO" not in again.stderr and "Traceback" not in again.stderr
    listed = _headrace("runs", "list", "--root", root)
    assert listed.returncode == 0 and " succeeded " in listed.stdout  # nothing lost


def test_a_read_only_metadata_store_is_named_without_a_protobuf_dump(tmp_path, tmpfs):
    where = tmpfs("8m")
    url = f"sqlite://{where}/metadata.sqlite"
    assert _headrace("run", DEMO, "--root", str(tmp_path / "a"), "--metadata", url).returncode == 0
    _remount(where, "ro")
    again = _headrace("run", DEMO, "--root", str(tmp_path / "b"), "--metadata", url)
    assert again.returncode == 20, again.stderr
    message = " ".join(again.stderr.split())
    assert f"The metadata store {url} is read-only" in message
    assert "Its records are intact and readable" in message
    assert "INSERT INTO" not in again.stderr and "type_id" not in again.stderr


def test_a_disk_that_fills_up_while_a_node_writes(tmp_path, tmpfs, sqlite_url):
    where = tmpfs("1m")
    root = str(where / "root")
    full = _headrace("run", DEMO, "--root", root, "--metadata", sqlite_url,
                     HEADRACE_DEMO_ROWS="400000")
    assert full.returncode == 1
    message = " ".join(full.stderr.split()) + " ".join(full.stdout.split())
    assert f"Node 'produce' ran out of disk space writing {root}/demo/produce/examples/" in message
    assert "MiB free of 1.0 MiB there): No space left on device. Make room there" in message
    assert "Traceback" not in full.stdout + full.stderr
    store = open_store(sqlite_url)
    [run] = store.list_runs("demo")
    [failed] = store.get_run(run.run_id).executions
    assert failed.state == "FAILED" and failed.outputs == {}
    assert glob.glob(f"{root}/demo/produce/examples/*") == []  # the partial output is gone
    _remount(where, "size=32m")  # room made: the resume finishes
    resumed = _headrace("run", DEMO, "--root", root, "--metadata", sqlite_url, "--resume",
                        run.run_id, HEADRACE_DEMO_ROWS="400000")
    assert resumed.returncode == 0, resumed.stderr
