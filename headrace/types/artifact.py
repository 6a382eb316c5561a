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

    # TFX module files and executors read and write these as attributes (`examples.split_names`,
    # `model.span = 3`): they are the typed properties.
    def __getattr__(self, name: str) -> Any:
        properties = self.__dict__.get("properties", {})
        if name in type(self).PROPERTIES:
            return properties.get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in type(self).PROPERTIES and "properties" in self.__dict__:
            self.properties[name] = value
        else:
            super().__setattr__(name, value)

    # TFX's custom-property accessors, for executors written against TFX's Artifact. Typed and
    # custom properties live in one dict here (ML Metadata keeps them apart by the type's
    # PROPERTIES).
    def set_string_custom_property(self, key: str, value: str) -> None:
        self.properties[key] = str(value)

    def set_int_custom_property(self, key: str, value: int) -> None:
        self.properties[key] = int(value)

    def set_float_custom_property(self, key: str, value: float) -> None:
        self.properties[key] = float(value)

    def set_json_value_custom_property(self, key: str, value: Any) -> None:
        self.properties[key] = value

    def get_string_custom_property(self, key: str) -> str:
        return str(self.properties.get(key, ""))

    def get_int_custom_property(self, key: str) -> int:
        return int(self.properties.get(key, 0))  # type: ignore[arg-type]

    def get_float_custom_property(self, key: str) -> float:
        return float(self.properties.get(key, 0.0))  # type: ignore[arg-type]

    def get_custom_property(self, key: str) -> Any:
        return self.properties.get(key)

    def has_custom_property(self, key: str) -> bool:
        return key in self.properties


_REGISTRY[Artifact.TYPE_NAME] = Artifact


def artifact_class(type_name: str) -> type[Artifact]:
    """The registered class for an MLMD type name (a plain `Artifact` subclass if unknown)."""
    cls = _REGISTRY.get(type_name)
    if cls is None:
        cls = type(type_name, (Artifact,), {"TYPE_NAME": type_name})
    return cls
