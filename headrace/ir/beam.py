"""Beam arguments: a node's arguments override the pipeline's, flag by flag."""

from __future__ import annotations

from collections.abc import Iterable


def _flag(arg: str) -> str:
    return arg.split("=", 1)[0]


def _options(args: Iterable[str]) -> list[tuple[str, ...]]:
    # `--flag value` is one option, like `--flag=value`: a word that is not a `--flag` belongs
    # to the flag before it, so overriding a flag drops its separate value too.
    options: list[tuple[str, ...]] = []
    for arg in args:
        if options and not arg.startswith("--"):
            options[-1] += (arg,)
        else:
            options.append((arg,))
    return options


def merge_beam_args(pipeline_args: Iterable[str], node_args: Iterable[str]) -> tuple[str, ...]:
    """Pipeline args whose flag the node does not set, then the node's args, order kept."""
    node_args = tuple(node_args)
    overridden = {_flag(option[0]) for option in _options(node_args)}
    kept = [o for o in _options(pipeline_args) if _flag(o[0]) not in overridden]
    return tuple(arg for option in kept for arg in option) + node_args
