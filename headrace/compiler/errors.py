"""Errors of deploying a compiled workflow (to be drawn into the tree in headrace/errors.py).

    HeadraceError
    └── DeployError   Kubeflow Pipelines or the Kubernetes API refused or could not be reached
"""

from __future__ import annotations

from headrace.errors import HeadraceError


class DeployError(HeadraceError):
    """Uploading or submitting a workflow failed; the message says what the server answered."""
