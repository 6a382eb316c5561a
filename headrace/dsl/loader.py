"""Loading a pipeline file (`headrace run file.py`) and modules that live in files."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import types

from headrace.dsl.pipeline import Pipeline
from headrace.errors import PipelineFileError


def module_name_for(path: str) -> str:
    """A stable module name for a file: its stem, made a valid identifier."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return "_headrace_" + re.sub(r"\W", "_", stem)


def import_file(path: str, name: str | None = None) -> types.ModuleType:
    """Import the Python file at `path` (once per process) as module `name`."""
    path = os.path.abspath(path)
    name = name or module_name_for(path)
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == path:
        return loaded
    if not os.path.isfile(path):
        raise PipelineFileError(f"No such file: {path} (relative paths start at {os.getcwd()}).")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PipelineFileError(f"{path} is not a Python file that can be imported.")
    module = importlib.util.module_from_spec(spec)
    # Marked before it runs, so components defined in it record that they load from this file.
    module.__headrace_loaded_from_path__ = True  # type: ignore[attr-defined]
    sys.modules[name] = module
    # Its own directory first, so the file can import its sibling modules.
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_pipeline(path: str) -> Pipeline:
    """The pipeline a file defines: a module-level `pipeline` or a `create_pipeline()` function."""
    module = import_file(path)
    found = getattr(module, "pipeline", None)
    if found is None and callable(getattr(module, "create_pipeline", None)):
        found = module.create_pipeline()
    if not isinstance(found, Pipeline):
        raise PipelineFileError(
            f"{path} defines no pipeline: give it a module-level `pipeline = Pipeline(...)` or a "
            f"function `create_pipeline()` that returns one"
            + (f" (its `pipeline` is a {type(found).__name__})." if found is not None else ".")
        )
    return found
