"""The layering of DESIGN.md holds, and the light paths never import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("tensorflow", "apache_beam", "tensorflow_transform", "tensorflow_data_validation",
         "tensorflow_model_analysis", "tfx_bsl", "keras")


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_dsl_ir_compiler_and_launcher_import_nothing_heavy():
    code = (
        "import sys, headrace, headrace.cli, headrace.ir, headrace.launcher, headrace.runner, "
        "headrace.entrypoint.main, headrace.compiler, headrace.runner.report, headrace.tfx.v1\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
