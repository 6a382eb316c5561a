"""Headless Chromium for tests of HTML pages: the DOM after scripts ran, and a screenshot that is
checked to be a real picture."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# CI (.ci/run) installs Chromium and sets this, so a missing browser fails the tests there.
REQUIRE_CHROMIUM = os.environ.get("HEADRACE_REQUIRE_CHROMIUM") == "1"
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]


def find() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@dataclass(frozen=True)
class Chromium:
    path: str

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.path, *_FLAGS, *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    def dump_dom(self, page: Path) -> str:
        """The page's DOM after its scripts ran (and its frames loaded)."""
        # virtual-time-budget: let load events (the summary frames') fire before the dump.
        return self._run("--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout

    def screenshot(self, page: Path, png: Path, width: int = 1400, height: int = 1000) -> Path:
        self._run(f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri())
        assert png.is_file(), f"Chromium wrote no screenshot {png}"
        return png


def assert_real_picture(png: Path, width: int = 1400, height: int = 1000) -> None:
    """The screenshot has the window's size and is not one flat colour (an empty or failed page
    is); a drawn page has many colours."""
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (width, height), image.size
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50, f"{png} has only {len(colours)} colours: an empty page?"
