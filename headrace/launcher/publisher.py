"""The publisher: records an execution's outputs in MLMD only after its executor succeeded."""

from __future__ import annotations

from collections.abc import Mapping

from headrace.errors import UserCodeError
from headrace.ir import NodeIR
from headrace.metadata import Store
from headrace.types.artifact import Artifact

_PROPERTY_TYPES = (int, float, str, bool, dict, list)


def publish(
    store: Store,
    node: NodeIR,
    execution_id: int,
    outputs: Mapping[str, list[Artifact]],
    summary_uri: str = "",
) -> dict[str, list[Artifact]]:
    for port, artifacts in outputs.items():
        for artifact in artifacts:
            for key, value in artifact.properties.items():
                if value is not None and not isinstance(value, _PROPERTY_TYPES):
                    raise UserCodeError(
                        f"Node {node.id!r} output {port!r}: property {key!r} is a "
                        f"{type(value).__name__}; properties must be int, float, str, bool, dict "
                        f"or list."
                    )
    return store.publish(execution_id, outputs, summary_uri=summary_uri)
