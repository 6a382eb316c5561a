"""The kind-cluster tests are opt-in: they run only with HEADRACE_E2E=1 and docker, kind and
kubectl installed (and a running Docker engine); otherwise they skip and say what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOOLS = ("docker", "kind", "kubectl", "uv")


def why_not() -> str | None:
    if os.environ.get("HEADRACE_E2E") != "1":
        return "kind-cluster tests are opt-in: set HEADRACE_E2E=1 (needs docker, kind, kubectl)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"kind-cluster tests need {', '.join(missing)}, which is not installed"
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if engine.returncode != 0:
        return "kind-cluster tests need a running Docker engine (`docker info` failed)"
    return None


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    ours = [i for i in items if str(i.fspath).startswith(here)]
    reason = why_not() if ours else None
    for item in ours:
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
