"""The standard components, with TFX's names, constructor arguments and output keys.

    from headrace.components import CsvExampleGen, StatisticsGen, SchemaGen, Trainer, ...

Each module imports only `headrace.dsl`, `headrace.types` and, inside its executor, its own heavy
libraries (TFDV, TFT, TFMA, Beam), so importing this package stays cheap.
"""

from headrace.components.bulk_inferrer import BulkInferrer
from headrace.components.evaluator import Evaluator
from headrace.components.example_gen.components import (
    CsvExampleGen,
    FileBasedExampleGen,
    ImportExampleGen,
    ParquetExampleGen,
)
from headrace.components.example_validator import ExampleValidator
from headrace.components.fn_args import DataAccessor, FnArgs
from headrace.components.infra_validator import InfraValidator
from headrace.components.pusher import Pusher
from headrace.components.schema_gen import ImportSchemaGen, SchemaGen
from headrace.components.statistics_gen import StatisticsGen
from headrace.components.strategy import distribution_strategy
from headrace.components.trainer import Trainer
from headrace.components.transform import Transform
from headrace.components.tuner import Tuner, TunerFnResult
from headrace.dsl.resolver import LatestArtifactStrategy, LatestBlessedModelStrategy, Resolver

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
    "LatestArtifactStrategy",
    "LatestBlessedModelStrategy",
    "ParquetExampleGen",
    "Pusher",
    "Resolver",
    "SchemaGen",
    "StatisticsGen",
    "Trainer",
    "Transform",
    "Tuner",
    "TunerFnResult",
    "distribution_strategy",
]
