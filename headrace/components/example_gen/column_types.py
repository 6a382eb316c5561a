"""Column types of tabular input and how evidence about them combines.

Types form a chain UNKNOWN < INT < FLOAT < STRING: a column takes the smallest type that
holds every value seen anywhere in the input (ints and floats together make a float).
"""

from __future__ import annotations

import enum


class ColumnType(enum.Enum):
    """The tf.Example kind a column is written as (UNKNOWN: no value seen yet)."""

    UNKNOWN = "unknown"
    INT = "int"
    FLOAT = "float"
    STRING = "string"

    def join(self, other: ColumnType) -> ColumnType:
        """The smallest type holding the values of both."""
        return self if _RANK[self] >= _RANK[other] else other

    def reported(self) -> ColumnType:
        # A column without any value is written as missing everywhere; report it as a string
        # column so that callers only ever see the three tf.Example kinds.
        return ColumnType.STRING if self is ColumnType.UNKNOWN else self


_RANK = {ColumnType.UNKNOWN: 0, ColumnType.INT: 1, ColumnType.FLOAT: 2, ColumnType.STRING: 3}


def join_all(left: dict[str, ColumnType], right: dict[str, ColumnType]) -> dict[str, ColumnType]:
    """Column-wise join of two type maps (keeps the key order of `left`, then `right`)."""
    merged = dict(left)
    for name, kind in right.items():
        merged[name] = merged.get(name, ColumnType.UNKNOWN).join(kind)
    return merged
