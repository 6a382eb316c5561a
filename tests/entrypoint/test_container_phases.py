"""The entrypoint's container phases on SQLite: the driver hands the resolved command over as
files (one per Argo parameter), the command runs as its step would, the publisher records it;
a cached driver says `execute=false`; a publisher with nothing started says what to do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from headrace.dsl.container import step_parameters
from headrace.dsl.loader import import_file
from headrace.entrypoint.main import main
from headrace.ir import build

PIPELINE = str(Path(__file__).parents[1] / "support" / "custom_components.py")


def _step(ir_file, sqlite_url, root, node, run_id, *extra):
    return main(
        [
            f"--ir={ir_file}",
            f"--node={node}",
            f"--run-id={run_id}",
            f"--metadata={sqlite_url}",
            f"--root={root}",
            *extra,
        ]
    )


@pytest.fixture
def setup(tmp_path, sqlite_url):
    ir = build(import_file(PIPELINE).create_pipeline(rows=3))
    ir_file = tmp_path / "ir.json"
    ir_file.write_text(ir.to_json())
    return ir, ir_file, sqlite_url, str(tmp_path / "root")


def test_driver_hands_over_the_resolved_items_and_the_publisher_records(setup, tmp_path):
    ir, ir_file, url, root = setup
    node = ir.node("CountLines")
    assert _step(ir_file, url, root, "write_words", "r1") == 0
    out = tmp_path / "driver"
    assert (
        _step(
            ir_file,
            url,
            root,
            "CountLines",
            "r1",
            "--phase=container-driver",
            f"--driver-outputs={out}",
        )
        == 0
    )
    assert (out / "execute").read_text() == "true"
    # What the container step gets: the literal items, and the driver's files where a
    # placeholder was (the harness and Argo do this substitution).
    resolved = {(f, i): (out / name).read_text() for name, f, i in step_parameters(node.container)}
    argv = [resolved.get(("command", i), v) for i, v in enumerate(node.container.command)]
    argv += [resolved.get(("args", i), v) for i, v in enumerate(node.container.args)]
    assert argv[argv.index("--out") + 1].endswith("/custom-components/CountLines/statistics/2")
    subprocess.run(argv, check=True, capture_output=True)

    ui = tmp_path / "ui.json"
    assert (
        _step(
            ir_file,
            url,
            root,
            "CountLines",
            "r1",
            "--phase=container-publisher",
            f"--ui-metadata={ui}",
        )
        == 0
    )
    assert "**executed**" in json.loads(ui.read_text())["outputs"][0]["source"]
    from headrace.metadata import open_store

    [done] = open_store(url).run_executions(ir.name, "r1", "CountLines")
    assert done.state == "COMPLETE"
    assert done.outputs["statistics"][0].properties == {"lines": 3, "label": "run-x"}
    # A retried publisher finds it done and changes nothing.
    assert _step(ir_file, url, root, "CountLines", "r1", "--phase=container-publisher") == 0

    assert _step(ir_file, url, root, "write_words", "r2") == 0
    assert (
        _step(
            ir_file,
            url,
            root,
            "CountLines",
            "r2",
            "--phase=container-driver",
            f"--driver-outputs={out}",
        )
        == 0
    )
    assert (out / "execute").read_text() == "false"
    assert all((out / name).read_text() == "" for name, _, _ in step_parameters(node.container))
    assert (
        _step(
            ir_file,
            url,
            root,
            "CountLines",
            "r2",
            "--phase=container-publisher",
            f"--ui-metadata={ui}",
        )
        == 0
    )
    assert "**cached**" in json.loads(ui.read_text())["outputs"][0]["source"]


def test_phase_mistakes_are_user_errors_that_say_what_to_do(setup, capsys):
    _, ir_file, url, root = setup
    assert _step(ir_file, url, root, "CountLines", "r", "--phase=container-publisher") == 10
    assert "no execution of run 'r' to publish; its driver step starts one" in (
        capsys.readouterr().err
    )
    assert (
        _step(
            ir_file,
            url,
            root,
            "write_words",
            "r",
            "--phase=container-driver",
            "--driver-outputs=/tmp/x",
        )
        == 10
    )
    assert "'write_words' is not a container component" in capsys.readouterr().err
    assert _step(ir_file, url, root, "CountLines", "r", "--phase=container-driver") == 10
    assert "needs --driver-outputs=DIR" in capsys.readouterr().err
