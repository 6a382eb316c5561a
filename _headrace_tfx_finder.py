"""Serve `import tfx` from Headrace's TFX-API layer (`headrace.tfx`) when TFX is not installed.

Installed at interpreter start by `headrace-tfx.pth` (site-packages), so `python pipeline.py`
with `from tfx import v1 as tfx` works unchanged. It is a top-level module that imports only the
standard library: every Python process of the environment loads it, and importing `headrace`
there would cost every process (and could fail) for nothing.

Why a finder and not a `tfx` package: a `tfx` directory in site-packages would clash with TFX's
own files when both are installed (pip would let one overwrite the other). The finder asks every
other finder for `tfx` first, so a real TFX anywhere on `sys.path` always wins and nothing of it
is shadowed; it answers for `tfx.*` submodules only once `tfx` itself is Headrace's (it sits first
on `sys.meta_path` for that: the path finder would otherwise load Headrace's files a second time
under the `tfx.` names).
Set `HEADRACE_TFX=0` to turn the layer off; `HEADRACE_TFX=1` asks for it, and then a real TFX
makes it say, once, that it steps aside.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

_PREFIX = "headrace.tfx"
ENV = "HEADRACE_TFX"

# TFX modules users reach for that Headrace answers otherwise (the rest get the general line).
_INSTEAD = {
    "tfx.orchestration.airflow": "LocalDagRunner / `headrace run`, or an Argo Workflow from "
                                 "KubeflowDagRunner (Airflow is not a target)",
    "tfx.orchestration.beam": "LocalDagRunner (Beam-based components still run on Beam)",
    "tfx.orchestration.experimental.interactive": "headrace.interactive.InteractiveContext",
    "tfx.extensions": "Headrace's own components and compile options (Google Cloud "
                      "extensions, Vertex included, are not provided)",
    "tfx.orchestration.kubeflow.v2": "KubeflowDagRunner (the KFP v2 format is not available "
                                     "in this version of Headrace)",
}


class TfxFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Maps `tfx[.x.y]` to `headrace.tfx[.x.y]` (the same module object under both names)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "tfx":
            if _real_tfx_spec() is not None:
                return None  # a real TFX exists (it may have been installed after start-up)
        elif not fullname.startswith("tfx.") or not _ours(sys.modules.get("tfx")):
            return None
        own = _PREFIX + fullname[len("tfx") :]
        try:
            found = importlib.util.find_spec(own)
        except ModuleNotFoundError:
            found = None
        if found is None:
            instead = next((v for k, v in _INSTEAD.items()
                            if fullname == k or fullname.startswith(k + ".")), None)
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: TFX is not installed and Headrace's TFX layer "
                f"does not provide {fullname}; "
                + (f"instead use {instead}. See docs/migrating_from_tfx.md." if instead else
                   "see docs/migrating_from_tfx.md (what is covered, and what to use instead)."),
                name=fullname,
            )
        is_package = found.submodule_search_locations is not None
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)
        spec.loader_state = own
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        # The module is Headrace's own, imported under its real name, so both names are one
        # object (isinstance checks and module state agree whichever name was imported).
        return importlib.import_module(spec.loader_state)

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed by create_module's import


def _ours(module: ModuleType | None) -> bool:
    return module is not None and getattr(module, "__name__", None) == _PREFIX


def _real_tfx_spec() -> importlib.machinery.ModuleSpec | None:
    """The spec of a real `tfx` on sys.path, asking every other finder."""
    for finder in sys.meta_path:
        if isinstance(finder, TfxFinder):
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find("tfx", None)
        except Exception:  # a broken third-party finder must not break `import tfx`
            continue
        # A namespace package is only a directory called `tfx` (TFX's examples write their
        # outputs to one, often in the current directory): not TFX.
        if spec is not None and spec.origin not in (None, "namespace"):
            return spec
    return None


def real_tfx_location() -> str | None:
    """Where a real TFX is installed, or None."""
    spec = _real_tfx_spec()
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else (spec.origin or "?")


def install(*, asked: bool = False) -> bool:
    """Put the finder first on sys.meta_path (idempotent); False if it stepped aside.

    `asked`: the user asked for the layer (HEADRACE_TFX=1 or headrace.tfx.install()), so a real
    TFX is reported on stderr instead of being silently preferred.
    """
    # TFT, TFMA and tfx-bsl in Headrace's environment need tf-keras, chosen by this variable
    # before TensorFlow is first imported; a TFX pipeline file imports tensorflow_model_analysis
    # before anything of Headrace, so headrace/__init__.py would set it too late.
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    setting = os.environ.get(ENV, "").strip().lower()
    if setting in ("0", "off", "false", "no"):
        return False
    asked = asked or setting in ("1", "on", "true", "yes")
    real = real_tfx_location()
    if real is not None:
        if asked and not getattr(install, "_said", False):
            install._said = True  # type: ignore[attr-defined]
            print(
                f"headrace: TFX is installed ({real}); `import tfx` uses it and Headrace's TFX "
                f"layer steps aside. Use `from headrace.tfx import v1 as tfx` for Headrace's.",
                file=sys.stderr,
            )
        return False
    if not any(isinstance(f, TfxFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TfxFinder())
    return True
