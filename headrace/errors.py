"""The one error hierarchy of Headrace; every error a user sees comes from here.

HeadraceError
├── DefinitionError        a pipeline or component is defined wrongly (raised while building;
│   │                      names the node and port, says what was expected and the fix)
│   ├── UserModuleError    a module file / function path cannot be loaded (components)
│   └── WorkflowTooLarge   compiled YAML over a Kubernetes/Argo size limit (compiler)
├── PipelineFileError      a pipeline file cannot be loaded or defines no pipeline
├── MetadataError          ML Metadata failed (infrastructure: a retry may help)
│   └── MetadataConnectionError   the store cannot be reached or opened
│       └── MetadataAccessDenied  the server answers but refuses the login or the database
│                                 (configuration: a retry does not help)
├── ImageError             a container image cannot be named, built or pushed (says how to fix)
├── ExecutionError         a node could not run
│   ├── UserCodeError      the component's own code raised (keeps the original traceback)
│   ├── InputResolutionError  an upstream output is missing from this run
│   └── DataError          bad data or artifact contents (components.data_errors)
│       ├── AnomaliesFoundError  ExampleValidator(fail_on_anomalies=True) found anomalies
│       └── ExampleGenError      bad ExampleGen input: names the file, the line and the fix
├── StorageError           the pipeline root's file system is full or read-only
│                          (infrastructure: a retry may help once there is room)
├── DeployError            uploading to KFP or submitting to Argo failed (compiler)
├── ReportError            a run report cannot be made (unknown run) or written (the path)
└── RunFailed              a run stopped because a node failed (names it and how to resume)
"""

from __future__ import annotations


class HeadraceError(Exception):
    """Base of every error Headrace raises on purpose."""


class DefinitionError(HeadraceError):
    """A pipeline, node or component is defined wrongly."""


class PipelineFileError(HeadraceError):
    """A pipeline file cannot be loaded."""


class MetadataError(HeadraceError):
    """ML Metadata failed; usually infrastructure, so a retry may help."""


class MetadataConnectionError(MetadataError):
    """The metadata store cannot be reached or opened."""


class MetadataAccessDenied(MetadataConnectionError):
    """The metadata server answers but refuses this user, password, host or database."""


class ImageError(HeadraceError):
    """A container image cannot be named, built or pushed (no Docker engine, no source tree)."""


class ExecutionError(HeadraceError):
    """A node could not run."""


class UserCodeError(ExecutionError):
    """The component's own code raised; `user_traceback` is the original traceback text."""

    def __init__(self, message: str, user_traceback: str = "") -> None:
        super().__init__(message)
        self.user_traceback = user_traceback


class InputResolutionError(ExecutionError):
    """An input could not be resolved from the outputs recorded for this run."""


class StorageError(HeadraceError):
    """The pipeline root cannot be written: no space left, over quota, or read-only."""


class ReportError(HeadraceError):
    """A run report cannot be made (no such run) or written (an unwritable path)."""


class RunFailed(HeadraceError):
    """A run stopped because a node failed."""
