"""`python -m headrace.entrypoint`: one node of a serialized IR, with exit codes Argo can act on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file
from headrace.entrypoint.main import main
from headrace.ir import build
from headrace.launcher import exit_codes
from headrace.metadata import open_store

DEMO = str(Path(__file__).parents[1] / "support" / "demo_pipeline.py")


@pytest.fixture
def ir_file(tmp_path):
    path = tmp_path / "ir.json"
    path.write_text(build(import_file(DEMO).make_pipeline(rows=3)).to_json())
    return str(path)


def _args(ir_file, node, url, root, *extra):
    return [
        "--ir",
        ir_file,
        "--node",
        node,
        "--run-id",
        "wf-1",
        "--metadata",
        url,
        "--root",
        str(root),
        *extra,
    ]


def test_runs_a_node_and_writes_kfp_ui_metadata(ir_file, sqlite_url, tmp_path):
    ui = tmp_path / "ui" / "mlpipeline-ui-metadata.json"
    code = main(_args(ir_file, "produce", sqlite_url, tmp_path, "--ui-metadata", str(ui)))
    assert code == exit_codes.OK
    markdown, web_app = json.loads(ui.read_text())["outputs"]
    assert markdown["type"] == "markdown" and "examples" in markdown["source"]
    assert str(tmp_path / "demo" / "produce" / "examples") in markdown["source"]
    # The KFP UI's web-app viewer gets the node's HTML summary, the page MLMD points at.
    [execution] = open_store(sqlite_url).run_executions("demo", "wf-1")
    summary = tmp_path / "demo" / "produce" / "summary" / f"{execution.id}.html"
    assert execution.summary_uri == str(summary)
    assert web_app == {"type": "web-app", "storage": "inline", "source": summary.read_text()}
    assert "<h1>produce</h1>" in web_app["source"]


def test_ir_from_an_environment_variable_in_a_real_process(ir_file, sqlite_url, tmp_path):
    env = {**os.environ, "HEADRACE_IR": Path(ir_file).read_text()}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace.entrypoint",
            "--ir-env",
            "HEADRACE_IR",
            "--node",
            "produce",
            "--run-id",
            "wf-1",
            "--metadata",
            sqlite_url,
            "--root",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == exit_codes.OK, done.stderr
    assert "node produce executed" in done.stdout


def test_missing_upstream_is_a_user_error(ir_file, sqlite_url, tmp_path, capsys):
    assert main(_args(ir_file, "train", sqlite_url, tmp_path)) == exit_codes.USER_ERROR
    assert "upstream node" in capsys.readouterr().err


def test_unreachable_metadata_is_retryable(ir_file, tmp_path, capsys):
    code = main(_args(ir_file, "produce", "grpc://127.0.0.1:1", tmp_path))
    assert code == exit_codes.INFRA_ERROR and code in exit_codes.RETRYABLE
    assert "retryable" in capsys.readouterr().err


def test_beam_args_from_the_step_are_part_of_the_cache_key(ir_file, sqlite_url, tmp_path):
    assert main(_args(ir_file, "produce", sqlite_url, tmp_path)) == exit_codes.OK
    args = _args(ir_file, "produce", sqlite_url, tmp_path, "--beam-arg=--runner=DirectRunner")
    args[args.index("wf-1")] = "wf-2"
    assert main(args) == exit_codes.OK
    # Different Beam settings are a different cache key: wf-2 did not reuse wf-1's result.
    [execution] = open_store(sqlite_url).run_executions("demo", "wf-2")
    assert execution.state == "COMPLETE"
