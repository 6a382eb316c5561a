"""The Artifact base class: a typed directory (`uri`) plus properties, recorded in ML Metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

# Every Artifact subclass, by its MLMD type name, so a launcher can rebuild typed objects from
# the type names the IR carries. Subclassing registers; no decorator to forget.
_REGISTRY: dict[str, type[Artifact]] = {}

PropertyValue = int | float | str | bool | dict | list


class Artifact:
    """One artifact: a directory at `uri` and its properties.

    `TYPE_NAME` is the MLMD artifact type name (TFX-compatible). `PROPERTIES` declares the typed
    MLMD properties of the type (name -> int, float or str); every other key in `properties`
    is stored as an MLMD custom property. Downstream components read both the same way.
    """

    TYPE_NAME: ClassVar[str] = "Artifact"
    PROPERTIES: ClassVar[Mapping[str, type]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE_NAME" not in cls.__dict__:
            cls.TYPE_NAME = cls.__name__
        _REGISTRY[cls.TYPE_NAME] = cls

    def __init__(
        self,
        uri: str = "",
        properties: Mapping[str, PropertyValue] | None = None,
        *,
        id: int | None = None,
    ) -> None:
        self.uri = uri
        self.properties: dict[str, PropertyValue] = dict(properties or {})
        self.id = id

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(uri={self.uri!r}, id={self.id}, properties={self.properties})"

    # TFX module files read these as attributes (`examples.split_names`, `model.span`).
    def __getattr__(self, name: str) -> Any:
        properties = self.__dict__.get("properties", {})
        if name in type(self).PROPERTIES:
            return properties.get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


_REGISTRY[Artifact.TYPE_NAME] = Artifact


def artifact_class(type_name: str) -> type[Artifact]:
    """The registered class for an MLMD type name (a plain `Artifact` subclass if unknown)."""
    cls = _REGISTRY.get(type_name)
    if cls is None:
        cls = type(type_name, (Artifact,), {"TYPE_NAME": type_name})
    return cls
