"""What `headrace run` prints around a node that imports TensorFlow: its CUDA plugins'
"Unable to register ... factory" lines on a CPU machine show only with -v."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PIPELINE = str(Path(__file__).parents[1] / "support" / "tf_pipeline.py")
NOISE = "Unable to register"
OURS = ("TF_CPP_MIN_LOG_LEVEL", "PYTHONWARNINGS")


def test_tensorflow_cuda_noise_is_hidden_unless_verbose(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    quiet = subprocess.run(
        [sys.executable, "-m", "headrace", "run", PIPELINE, "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert "1 of 1 nodes done (1 executed" in quiet.stdout
    assert NOISE not in quiet.stdout + quiet.stderr
    assert "FutureWarning" not in quiet.stdout + quiet.stderr
    assert "oneDNN custom operations" not in quiet.stderr  # TF's INFO lines too
