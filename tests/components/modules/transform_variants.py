"""preprocessing_fn variants reached by dotted path: one that takes TFX's `custom_config`."""

from __future__ import annotations

from typing import Any

import tensorflow_transform as tft


def scaled_z_scores(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    scale = custom_config["scale"]
    return {
        "body_mass_xf": tft.scale_to_z_score(inputs["body_mass_g"]) * scale,
        "species": inputs["species"],
    }
