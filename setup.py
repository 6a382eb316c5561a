"""Puts `headrace-tfx.pth` into site-packages, in wheels and editable installs alike.

The .pth installs `_headrace_tfx_finder` at interpreter start, so a TFX pipeline file run as
`python pipeline.py` finds `tfx` (Headrace's TFX-API layer) when TFX itself is not installed.
Setuptools has no declarative way to ship a .pth file: build_py copies it next to the packages
(wheels), and the editable strategy writes it into the editable wheel too (uv sync installs the
project editable). Everything else about the build is in pyproject.toml.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH = "headrace-tfx.pth"


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH))


class EditableWheelWithPth(editable_wheel):
    # _select_strategy is setuptools' seam for what an editable wheel holds (stable since 64).
    def _select_strategy(self, name, tag, build_lib):
        strategy = super()._select_strategy(name, tag, build_lib)
        return _WithPth(strategy)


class _WithPth:
    def __init__(self, strategy):
        self._strategy = strategy

    def __call__(self, wheel, files, mapping):
        self._strategy(wheel, files, mapping)
        with open(PTH) as f:
            wheel.writestr(PTH, f.read())

    def __enter__(self):
        self._strategy.__enter__()
        return self

    def __exit__(self, *exc):
        return self._strategy.__exit__(*exc)


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
