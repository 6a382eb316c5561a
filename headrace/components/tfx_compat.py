"""The few TFX names module files import, served when TFX itself is not installed.

TFX module files import `FnArgs`, `DataAccessor` and `TunerFnResult` from TFX, mostly for type
annotations: `from tfx.components.trainer.fn_args_utils import FnArgs`, `from
tfx.components.tuner.component import TunerFnResult`, or `from tfx import v1 as tfx` and then
`tfx.components.FnArgs`. Headrace does not depend on TFX (it does not install alongside this
stack), so before it loads a user module it registers these modules with Headrace's own
equivalents. If TFX is installed, nothing is registered and the real modules are used. Any
other TFX name fails with an error that says what is provided and what to do.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

# Module name -> {attribute: "module:name" of the Headrace equivalent}; packages have children.
_PROVIDED: dict[str, dict[str, str]] = {
    "tfx": {},
    "tfx.v1": {},
    "tfx.v1.components": {
        "FnArgs": "headrace.components.fn_args:FnArgs",
        "DataAccessor": "headrace.components.fn_args:DataAccessor",
        "TunerFnResult": "headrace.components.tuner:TunerFnResult",
    },
    "tfx.components": {},
    "tfx.components.trainer": {},
    "tfx.components.trainer.fn_args_utils": {
        "FnArgs": "headrace.components.fn_args:FnArgs",
        "DataAccessor": "headrace.components.fn_args:DataAccessor",
    },
    "tfx.components.trainer.executor": {
        "TrainerFnArgs": "headrace.components.fn_args:FnArgs",  # TFX's older name
    },
    "tfx.components.tuner": {},
    "tfx.components.tuner.component": {
        "TunerFnResult": "headrace.components.tuner:TunerFnResult",
    },
}
_PACKAGES = {name.rpartition(".")[0] for name in _PROVIDED if "." in name}

_WHAT = (
    "Headrace provides only FnArgs, DataAccessor and TunerFnResult of TFX to module files "
    "(from tfx.components.trainer.fn_args_utils, tfx.components.tuner.component and "
    "tfx.v1.components)"
)


def install() -> None:
    """Register the stand-in modules, unless TFX is installed (idempotent)."""
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    if "tfx" not in sys.modules and importlib.util.find_spec("tfx") is not None:
        return  # the real TFX is installed
    sys.meta_path.append(_Finder())


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tfx" and not fullname.startswith("tfx."):
            return None
        if fullname not in _PROVIDED:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: TFX is not installed, and {_WHAT}. Import other "
                f"TFX modules only where TFX is installed, or use the library TFX wraps "
                f"(tensorflow, tensorflow_transform, tfx_bsl) directly.",
                name=fullname,
            )
        is_package = fullname in _PACKAGES
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        module.__doc__ = f"Headrace's stand-in for {name} (TFX is not installed)."
        if name in _PACKAGES:
            module.__path__ = []  # a package: its children come from this finder too
        for attribute, target in _PROVIDED[name].items():
            source, _, qualname = target.partition(":")
            setattr(module, attribute, getattr(importlib.import_module(source), qualname))
        children = [n for n in _PROVIDED if n.rpartition(".")[0] == name]

        def __getattr__(attribute: str) -> Any:
            child = f"{name}.{attribute}"
            if child in children:  # `tfx.v1.components` after `from tfx import v1`
                return importlib.import_module(child)
            raise AttributeError(
                f"{name} has no attribute {attribute!r}: TFX is not installed, and {_WHAT}."
            )

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
