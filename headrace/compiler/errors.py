"""Errors of deploying a compiled workflow (to be drawn into the tree in headrace/errors.py).

    HeadraceError
    ├── DeployError        Kubeflow Pipelines or the Kubernetes API refused or could not be reached
    └── ConformanceError   a file cannot be given to Argo's/KFP's own checks (not a workflow or a
                           pipeline spec, or the conformance tools failed to run)
"""

from __future__ import annotations

from headrace.errors import HeadraceError


class DeployError(HeadraceError):
    """Uploading or submitting a workflow failed; the message says what the server answered."""


class ConformanceError(HeadraceError):
    """A file cannot be checked by the conformance tools: it is neither an Argo Workflow nor a
    KFP pipeline spec, or a tool failed to run; the message says which and what to do."""
