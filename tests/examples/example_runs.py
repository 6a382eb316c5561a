"""What the example tests share: reading a run summary, and compiling an example pipeline and
executing its Argo workflow step by step against MariaDB-backed ML Metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from headrace.ir import build
from headrace.runner.local import RunSummary

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = ["CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform",
            "Trainer"]


def props(summary: RunSummary, node: str, port: str) -> dict[str, Any]:
    [artifact] = summary.results[node].outputs[port]
    return artifact.properties


def outcomes(summary: RunSummary) -> dict[str, str]:
    return {node: r.outcome for node, r in summary.results.items()}


def run_compiled(pipeline: Any, root: Path, mysql_url: str, run_name: str) -> dict[str, Any]:
    """Compile `pipeline` for a PVC at `root`, run every step as its container would, and
    return the executions MLMD holds for the run (`headrace runs show --json`), by node id."""
    from headrace.compiler import CompileOptions, SecretRef, compile_pipeline
    from headrace.replay import run_workflow

    secret = SecretRef(name="mlmd-mysql", key="password")
    options = CompileOptions(
        image="headrace:test", pipeline_root=str(root), root_volume_claim="headrace-pipelines",
        metadata=mysql_url, mysql_password_secret=secret,
        ui_metadata_path=str(root / "ui" / "mlpipeline-ui-metadata.json"),
    )
    steps = run_workflow(
        compile_pipeline(build(pipeline), options), workflow_name=run_name, cwd=REPO,
        secrets={secret.name: {secret.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}},
    )
    # Every node's step, after the run step that records the graph, then the exit handler.
    assert steps[0].task == "headrace-run" and steps[-1].exit_handler
    steps = steps[1:-1]
    failed = [s for s in steps if s.attempts[-1].exit_code != 0]
    assert len(steps) == len(pipeline.components) and not failed, failed
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", run_name, "--metadata", mysql_url,
         "--json"],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    return {e["node_id"]: e for e in json.loads(shown.stdout)["executions"]}
