"""The cluster tests are opt-in: they run only with HEADRACE_E2E=1 and the tools their script
needs (kind's: docker, kind, kubectl; the local cluster's: docker, go, root) and a running
Docker engine; otherwise they skip and say what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOOLS = {
    "test_kind.py": ("docker", "kind", "kubectl", "uv"),
    # scripts/local-cluster.sh builds Kubernetes and Argo with Go, installs containerd.
    "test_local_cluster.py": ("docker", "go", "uv"),
}


def why_not(test_file: str) -> str | None:
    tools = TOOLS.get(test_file, ("docker", "uv"))
    if os.environ.get("HEADRACE_E2E") != "1":
        return f"cluster tests are opt-in: set HEADRACE_E2E=1 (needs {', '.join(tools)})"
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/local/go/bin"
    missing = [tool for tool in tools if shutil.which(tool, path=path) is None]
    if missing:
        return f"cluster tests need {', '.join(missing)}, which is not installed"
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if engine.returncode != 0:
        return "cluster tests need a running Docker engine (`docker info` failed)"
    return None


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if not str(item.fspath).startswith(here):
            continue
        item.add_marker(pytest.mark.e2e)
        reason = why_not(os.path.basename(str(item.fspath)))
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
