"""The standard artifact types, with TFX's type names and typed properties."""

from __future__ import annotations

from headrace.types.artifact import Artifact

_SPAN_VERSION_SPLITS = {"span": int, "version": int, "split_names": str}


class Examples(Artifact):
    """tf.Example TFRecords, one `Split-<name>/` directory per split."""

    PROPERTIES = _SPAN_VERSION_SPLITS


class ExampleStatistics(Artifact):
    """TFDV statistics, `Split-<name>/FeatureStats.pb` per split."""

    PROPERTIES = {"span": int, "split_names": str}


class ExampleAnomalies(Artifact):
    """TFDV anomalies per split."""

    PROPERTIES = {"span": int, "split_names": str}


class Schema(Artifact):
    """A TFMD schema, `schema.pbtxt`."""


class TransformGraph(Artifact):
    """A TFT transform: `transform_fn/`, `transformed_metadata/` and raw `metadata/`."""


class TransformCache(Artifact):
    """TFT analyzer cache."""


class Model(Artifact):
    """A trained model; the SavedModel is under `Format-Serving/`."""


class ModelRun(Artifact):
    """Training logs (TensorBoard)."""


class ModelEvaluation(Artifact):
    """A TFMA evaluation result."""


class ModelBlessing(Artifact):
    """Whether a model passed evaluation (`blessed` custom property, with a reason)."""


class InfraBlessing(Artifact):
    """Whether a model loaded and served requests in an infrastructure check."""


class PushedModel(Artifact):
    """A model pushed to a serving destination."""


class HyperParameters(Artifact):
    """Hyperparameters chosen by a Tuner."""


class InferenceResult(Artifact):
    """PredictionLog TFRecords from batch inference."""


STANDARD_TYPES: tuple[type[Artifact], ...] = (
    Examples,
    ExampleStatistics,
    ExampleAnomalies,
    Schema,
    TransformGraph,
    TransformCache,
    Model,
    ModelRun,
    ModelEvaluation,
    ModelBlessing,
    InfraBlessing,
    PushedModel,
    HyperParameters,
    InferenceResult,
)
