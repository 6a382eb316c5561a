"""`import tfx` without TFX: the .pth-installed finder serves headrace.tfx, and steps aside for a
real TFX (nothing shadowed), saying so when the user asked for the layer. Fresh interpreters,
since the finder is installed at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("HEADRACE_TFX", "PYTHONPATH")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**environment, **env}, timeout=120)


def test_a_fresh_interpreter_imports_tfx_from_headrace(tmp_path):
    # A directory called tfx in the current directory (TFX's examples write outputs to one) is
    # not TFX.
    (tmp_path / "tfx" / "pipelines").mkdir(parents=True)
    done = _python("from tfx import v1 as tfx; import tfx.proto.trainer_pb2 as t; "
                   "import headrace.tfx.v1; print(tfx is headrace.tfx.v1, t.TrainArgs.__name__)",
                   tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "TrainArgs"]


def _fake_tfx(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "tfx").mkdir(parents=True)
    (site / "tfx" / "__init__.py").write_text("REAL = True\n")
    (site / "tfx" / "proto.py").write_text("REAL_PROTO = True\n")
    return site


def test_a_real_tfx_is_never_shadowed(tmp_path):
    site = _fake_tfx(tmp_path)
    done = _python(
        "import tfx, tfx.proto; print(tfx.REAL, tfx.proto.REAL_PROTO)\n"
        "try:\n    import tfx.v1\nexcept ModuleNotFoundError as e:\n    print('real', e.name)\n",
        tmp_path, PYTHONPATH=str(site))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "real", "tfx.v1"]
    assert "headrace" not in done.stderr  # not asked for: silent


def test_asking_for_the_layer_with_tfx_installed_says_it_steps_aside(tmp_path):
    site = _fake_tfx(tmp_path)
    code = "import headrace.tfx as h, tfx; print(h.install(), tfx.REAL)"
    done = _python(code, tmp_path, PYTHONPATH=str(site), HEADRACE_TFX="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
    assert done.stderr.count("Headrace's TFX layer steps aside") == 1
    assert str(site / "tfx") in done.stderr
    # headrace.tfx itself stays usable explicitly, beside the real TFX.
    done = _python("from headrace.tfx import v1 as tfx; print(tfx.proto.TrainArgs.__name__)",
                   tmp_path, PYTHONPATH=str(site))
    assert done.stdout.split() == ["TrainArgs"], done.stderr


def test_the_layer_can_be_turned_off(tmp_path):
    done = _python("import tfx", tmp_path, HEADRACE_TFX="0")
    assert done.returncode == 1 and "No module named 'tfx'" in done.stderr
