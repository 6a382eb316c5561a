"""The one error ExampleGen raises for bad input or configuration."""

from headrace.components.data_errors import DataError


class ExampleGenError(DataError, ValueError):
    """Bad input data or configuration: the message names the file, the line and the fix.

    A DataError (so the launcher reports it as bad data, not a crash) and a ValueError (what the
    engine's callers caught before the hierarchy adopted it).
    """
