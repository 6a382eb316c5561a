"""`headrace compile` stays light: the compiler imports neither ML Metadata nor the heavy
libraries, nor the kfp and kubernetes clients (only upload and submit load those)."""

from __future__ import annotations

import subprocess
import sys

from headrace.compiler.step import RETRYABLE_EXIT_CODES
from tests.compiler.pipelines import REPO


def test_compiling_imports_nothing_heavy():
    code = (
        "import sys, time; t = time.perf_counter();"
        "import headrace.compiler, headrace.compiler.kfp_upload, headrace.compiler.argo_submit;"
        "heavy = [m for m in ('ml_metadata', 'tensorflow', 'apache_beam', 'kfp', 'kubernetes',"
        " 'headrace.launcher', 'headrace.metadata') if m in sys.modules];"
        "assert not heavy, heavy; print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 1.0


def test_the_retryable_exit_codes_are_the_launchers():
    from headrace.launcher import exit_codes

    assert exit_codes.RETRYABLE == RETRYABLE_EXIT_CODES


def test_the_attempt_env_names_are_the_launchers():
    from headrace.compiler import memory_retry
    from headrace.compiler.container_step import OOM_EXIT_CODE
    from headrace.launcher import attempts, exit_codes

    for name in ("MEMORY_LIMIT_ENV", "ATTEMPT_ENV", "LAST_EXIT_CODE_ENV"):
        assert getattr(memory_retry, name) == getattr(attempts, name)
    assert OOM_EXIT_CODE == exit_codes.KILLED
