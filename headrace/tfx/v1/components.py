"""`tfx.v1.components`: TFX's standard components, on Headrace's."""

from headrace.tfx.components_api import (
    BulkInferrer,
    CsvExampleGen,
    DataAccessor,
    Evaluator,
    ExampleValidator,
    FnArgs,
    ImportExampleGen,
    ImportSchemaGen,
    InfraValidator,
    Pusher,
    SchemaGen,
    StatisticsGen,
    Trainer,
    Transform,
    Tuner,
    TunerFnResult,
)
from headrace.tfx.example_gen_custom import FileBasedExampleGen
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "BulkInferrer",
    "CsvExampleGen",
    "DataAccessor",
    "Evaluator",
    "ExampleValidator",
    "FileBasedExampleGen",
    "FnArgs",
    "ImportExampleGen",
    "ImportSchemaGen",
    "InfraValidator",
    "Pusher",
    "SchemaGen",
    "StatisticsGen",
    "Trainer",
    "Transform",
    "Tuner",
    "TunerFnResult",
]

__getattr__ = module_getattr("v1.components", ())
