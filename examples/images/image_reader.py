"""The custom ExampleGen's one function: an image file -> one row (Headrace's FileBasedExampleGen
calls `read_fn` for every file its input pattern matches)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any


def read_fn(path: str) -> Iterator[dict[str, Any]]:
    """The image's bytes as they are (PNG, JPEG...), its size, and its label: the name of the
    folder it sits in (`data/circle/circle-0.png` is a circle)."""
    from PIL import Image

    with open(path, "rb") as f:
        data = f.read()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    yield {
        "image": data,
        "label": os.path.basename(os.path.dirname(path)),
        "height": height,
        "width": width,
    }
