"""Errors the data components (StatisticsGen, SchemaGen, ExampleValidator) raise on purpose: bad
data or artifact contents rather than bugs; each message says what is wrong and what to do.

ExecutionError (headrace.errors)
└── DataError               an input artifact or file is missing, malformed or cannot be decoded
    └── AnomaliesFoundError ExampleValidator(fail_on_anomalies=True) found anomalies
"""

from __future__ import annotations

from headrace.errors import ExecutionError


class DataError(ExecutionError):
    """An input artifact or file is missing, malformed or cannot be decoded."""


class AnomaliesFoundError(DataError):
    """ExampleValidator found anomalies and its policy is to fail; the message lists them."""
