"""ExampleGen's engine: CSV, TFRecord, Parquet or custom input -> split TFRecords of tf.Example.

Plain library code run as a Beam pipeline; importing this package loads neither Beam nor
pyarrow (they load when a conversion runs). For example:

    result = csv_to_examples("data/span-{SPAN}/*.csv", out_dir,
                             splits=HashSplits(buckets={"train": 8, "eval": 2}))
    result.rows_per_split, result.span, result.column_types

writes `out_dir/Split-train/data_tfrecord-00000-of-00003.gz` and so on (TFX's layout), and
raises ExampleGenError, leaving no output directory, when the input is bad.
"""

from headrace.components.example_gen.api import (
    csv_to_examples,
    custom_to_examples,
    import_examples,
    parquet_to_examples,
)
from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.config import (
    Compression,
    CsvFormat,
    EngineOptions,
    HashSplits,
    InputSplit,
    SpanRange,
)
from headrace.components.example_gen.errors import ExampleGenError
from headrace.components.example_gen.result import ExampleGenResult
from headrace.components.example_gen.spans import date_to_span

__all__ = [
    "ColumnType",
    "Compression",
    "CsvFormat",
    "EngineOptions",
    "ExampleGenError",
    "ExampleGenResult",
    "HashSplits",
    "InputSplit",
    "SpanRange",
    "csv_to_examples",
    "custom_to_examples",
    "date_to_span",
    "import_examples",
    "parquet_to_examples",
]
