"""Fixtures for ExampleGen tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def penguins(tmp_path: Path) -> Path:
    target = tmp_path / "penguins.csv"
    shutil.copy(DATA / "penguins_processed.csv", target)
    return target
