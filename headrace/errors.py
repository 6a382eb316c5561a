"""The one error hierarchy of Headrace; every error a user sees comes from here.

HeadraceError
├── DefinitionError        a pipeline or component is defined wrongly (raised while building;
│   │                      names the node and port, says what was expected and the fix)
│   ├── UserModuleError    a module file / function path cannot be loaded (components)
│   ├── TfxNotProvided     a TFX name Headrace's TFX layer does not have (also an ImportError,
│   │                      so `from tfx... import X` shows it); says what to use instead
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
│   ├── DataError          bad data or artifact contents (components.data_errors)
│   │   ├── AnomaliesFoundError  ExampleValidator(fail_on_anomalies=True) found anomalies
│   │   └── ExampleGenError      bad ExampleGen input: names the file, the line and the fix
│   └── BeamJobError       a Beam job failed on its runner or could not reach it (names the
│                          endpoint, the job and where its logs are)
├── StorageError           the pipeline root's file system is full or read-only
│                          (infrastructure: a retry may help once there is room)
├── BeamServerError        a Flink/Spark job server cannot be fetched, started or reached
├── DeployError            uploading to KFP or submitting to Argo failed (compiler)
├── ConformanceError       a file cannot be given to Argo's/KFP's own checks (compiler)
├── ReportError            a run report cannot be made (unknown run) or written (the path)
└── RunFailed              a run stopped because a node failed (names it and how to resume)
"""

from __future__ import annotations


class HeadraceError(Exception):
    """Base of every error Headrace raises on purpose."""


class DefinitionError(HeadraceError):
    """A pipeline, node or component is defined wrongly."""


class TfxNotProvided(DefinitionError, ImportError):
    """A TFX API name (module, class, argument) that Headrace's TFX layer does not provide."""


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


class BeamJobError(ExecutionError):
    """A Beam job failed on a portable runner (Flink, Spark) or could not be submitted to it."""


class BeamServerError(HeadraceError):
    """A Beam job server cannot be fetched (Maven), started, or reached at its endpoint."""


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
