"""The plan made from all first attempts: final units, shard numbers, types, redos, error.

Made once, so every shard gets its final name (`-of-<count>` needs the count) and every
unit is written with the types of the whole input: units whose guessed types were narrower
(all ints in a range while another range has 2.5) are converted again with the final ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from headrace.components.example_gen.column_types import ColumnType
from headrace.components.example_gen.units import Attempt, WorkUnit


@dataclass(frozen=True, kw_only=True)
class Plan:
    units: tuple[WorkUnit, ...] = ()
    # Per unit: split name -> (shard index, shard count) of the file it writes in that split.
    shards: tuple[dict[str, tuple[int, int]], ...] = ()
    types: dict[str, ColumnType] = field(default_factory=dict)
    redo: tuple[int, ...] = ()  # units to convert again with `types`
    error: str | None = None


def _local_types(attempt: Attempt) -> dict[str, ColumnType] | str:
    """A unit's column types, or an error message when a column changed kind."""
    types = {}
    for name, kinds in attempt.kinds.items():
        if len(kinds) > 1:
            return (
                f"{attempt.unit.describe()}: column {name!r} holds values of different kinds"
                f" ({', '.join(k.value for k in kinds)}); make the reader produce one kind"
                " per column"
            )
        types[name] = kinds[0] if kinds else ColumnType.UNKNOWN
    return types


def make_plan(
    attempts: list[Attempt], hash_splits: tuple[str, ...] | None, guesses_types: bool
) -> Plan:
    """hash_splits: the output splits when rows are hashed, None for pre-split input;
    guesses_types: the source can convert a unit again with given types (CSV)."""
    attempts = sorted(attempts, key=lambda a: (a.unit.file_index, a.unit.start))
    errors = [a.error for a in attempts if a.error]
    if errors:
        return Plan(error=errors[0])
    local = [_local_types(a) for a in attempts]
    for problem in local:
        if isinstance(problem, str):
            return Plan(error=problem)
    types: dict[str, ColumnType] = {}
    distinct: dict[str, set[ColumnType]] = {}
    for found in local:
        for name, kind in found.items():  # type: ignore[union-attr]
            types[name] = types.get(name, ColumnType.UNKNOWN).join(kind)
            if kind is not ColumnType.UNKNOWN:
                distinct.setdefault(name, set()).add(kind)
    # Sources with a schema per file (Parquet) never differ; CSV ranges may (ints vs floats);
    # a custom reader's columns must not.
    if not guesses_types:
        for name, kinds in distinct.items():
            if len(kinds) > 1:
                return Plan(
                    error=f"column {name!r} holds values of different kinds"
                    f" ({', '.join(sorted(k.value for k in kinds))}) in different files;"
                    " make the reader produce one kind per column"
                )
    redo = tuple(
        i
        for i, found in enumerate(local)
        if any(k is not ColumnType.UNKNOWN and k is not types[n] for n, k in found.items())  # type: ignore[union-attr]
    )
    units = tuple(a.unit for a in attempts)
    if hash_splits is not None:
        shards = tuple({name: (i, len(units)) for name in hash_splits} for i in range(len(units)))
    else:
        counts: dict[str | None, int] = {}
        for unit in units:
            counts[unit.split] = counts.get(unit.split, 0) + 1
        seen: dict[str | None, int] = {}
        numbered = []
        for unit in units:
            index = seen.get(unit.split, 0)
            seen[unit.split] = index + 1
            numbered.append({unit.split: (index, counts[unit.split])})
        shards = tuple(numbered)  # type: ignore[arg-type]
    return Plan(units=units, shards=shards, types=types, redo=redo)
