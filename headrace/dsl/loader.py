"""Loading a pipeline file (`headrace run file.py`) and modules that live in files.

A file written for TFX defines no `pipeline`: it builds one under `if __name__ == "__main__":`
and hands it to a runner (`LocalDagRunner().run(...)`). For such a file the loader runs that
block with the runners in "offer" mode: the first runner's `run` hands the pipeline back here
(`offer`) instead of running or compiling it.
"""

from __future__ import annotations

import ast
import contextvars
import importlib.util
import os
import re
import sys
import types
from typing import Any

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
    """The pipeline a file defines: a module-level `pipeline`, a `create_pipeline()` function,
    or the pipeline its `if __name__ == "__main__":` block gives a runner (TFX files)."""
    module = import_file(path)
    found = getattr(module, "pipeline", None)
    if found is None and callable(getattr(module, "create_pipeline", None)):
        found = module.create_pipeline()
    if found is None:
        found = _offered_by_main_block(module, path)
    if not isinstance(found, Pipeline):
        raise PipelineFileError(
            f"{path} defines no pipeline: give it a module-level `pipeline = Pipeline(...)`, a "
            f"function `create_pipeline()` that returns one, or (as TFX files do) an "
            f"`if __name__ == '__main__':` block that passes one to a runner's run()"
            + (f" (its `pipeline` is a {type(found).__name__})." if found is not None else ".")
        )
    return found


class PipelineOffered(BaseException):
    """Carries the pipeline a runner was given out of a main block run by the loader, and the
    compile options a compiling runner (KubeflowDagRunner) was configured with.

    A BaseException so that a main block's `except Exception` (or absl's app.run) lets it by.
    """

    def __init__(self, pipeline: Pipeline, compile_options: Any = None) -> None:
        super().__init__(pipeline.name)
        self.pipeline = pipeline
        self.compile_options = compile_options


_OFFERING: contextvars.ContextVar[bool] = contextvars.ContextVar("offering", default=False)


def offer(pipeline: Pipeline, compile_options: Any = None) -> None:
    """Called first by every runner's run(): while the loader runs a file's main block, hand
    `pipeline` to it (this raises PipelineOffered); otherwise return and let the runner run.
    `compile_options` become the file's `compile_options` (what `headrace compile` starts from)
    unless the file defines its own."""
    if _OFFERING.get():
        raise PipelineOffered(pipeline, compile_options)


def _offered_by_main_block(module: types.ModuleType, path: str) -> Pipeline | None:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    body = [stmt for node in tree.body if _is_main_guard(node) for stmt in node.body]  # type: ignore[attr-defined]
    if not body:
        return None
    code = compile(ast.Module(body=body, type_ignores=[]), path, "exec")
    token = _OFFERING.set(True)
    saved_argv = sys.argv
    sys.argv = [path]  # absl's app.run parses flags from argv: give it the file's own
    try:
        exec(code, module.__dict__)
    except PipelineOffered as offered:
        if offered.compile_options is not None and not hasattr(module, "compile_options"):
            module.compile_options = offered.compile_options  # type: ignore[attr-defined]
        return offered.pipeline
    finally:
        _OFFERING.reset(token)
        sys.argv = saved_argv
    return None


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    texts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and texts == {"__main__"}
