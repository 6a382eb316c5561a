"""The penguin pipeline on a kind cluster through scripts/kind-e2e.sh: Argo, the manifests, the
images, a compiled workflow that succeeds, and its lineage in the cluster's MySQL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kind-e2e.sh"


@pytest.mark.timeout(7200)
@pytest.mark.parametrize("runner", [
    "direct",
    # Beam on Flink: the worker image and the Flink cluster make this the slow one.
    pytest.param("flink", marks=pytest.mark.slow),
])
def test_penguin_runs_on_kind_and_its_lineage_is_in_mysql(runner):
    done = subprocess.run(
        ["bash", str(SCRIPT)], env={**os.environ, "HEADRACE_BEAM_RUNNER": runner},
        capture_output=True, text=True, timeout=7000, check=False)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    assert "succeeded and its lineage is in MySQL" in done.stderr
