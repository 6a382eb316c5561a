"""Draw the example's data once: 6 circles and 6 squares as tiny PNGs of different sizes and
colours, under data/<label>/ (the label is the folder's name). The PNGs are committed; run this
again only to change them: `uv run python examples/images/make_images.py`."""

from __future__ import annotations

import os

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]


def main() -> None:
    for label in ("circle", "square"):
        folder = os.path.join(HERE, "data", label)
        os.makedirs(folder, exist_ok=True)
        for i, colour in enumerate(COLOURS):
            width, height = 8 + i, 10 + (i * 3) % 5  # sizes differ, so height/width mean something
            image = Image.new("RGB", (width, height), "white")
            draw = ImageDraw.Draw(image)
            box = (1, 1, width - 2, height - 2)
            if label == "circle":
                draw.ellipse(box, fill=colour)
            else:
                draw.rectangle(box, fill=colour)
            image.save(os.path.join(folder, f"{label}-{i}.png"), optimize=True)


if __name__ == "__main__":
    main()
