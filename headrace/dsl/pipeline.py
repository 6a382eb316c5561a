"""`Pipeline`: the nodes of one pipeline and its pipeline-wide settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from headrace.dsl.node import Node


@dataclass(kw_only=True)
class Pipeline:
    """A pipeline definition; `headrace.ir.build(pipeline)` checks it and turns it into IR.

    `pipeline_root` is where outputs go (default: `./headrace-root` when run locally);
    `metadata` a URL (`sqlite:///path`, `mysql://user@host:port/db`, `grpc://host:port`;
    default: SQLite under the pipeline root). `beam_args` apply to every Beam-based node.
    """

    name: str
    components: Sequence[Node]
    pipeline_root: str | None = None
    metadata: str | None = None
    beam_args: Iterable[str] = ()
    enable_cache: bool = True
    description: str = ""
    nodes: list[Node] = field(init=False)

    def __post_init__(self) -> None:
        self.nodes = list(self.components)
        self.beam_args = tuple(self.beam_args)
