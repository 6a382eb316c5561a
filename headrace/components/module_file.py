"""The user's function a component calls (from a module file or a dotted path), in a form Beam can
ship to worker processes, and errors in the user's code pointed at the module, line and fix."""

from __future__ import annotations

import hashlib
import importlib
import linecache
import os
import sys
import traceback
import types
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from headrace.components import tfx_compat
from headrace.errors import DefinitionError


class UserModuleError(DefinitionError):
    """A user module file is missing, lacks the function a component calls, or does not match
    the data (a feature the schema does not have). The message names the module, the line and
    the fix."""


@dataclass(frozen=True, kw_only=True)
class UserFunction:
    """A user function, e.g. the `preprocessing_fn` of a module file. Call it like the function.

    It pickles as the module's source text (or the dotted path), never as a reference to the
    module: TFT re-traces `preprocessing_fn` inside a Beam worker, which may be another process
    (`--direct_running_mode=multi_processing`) or another machine (Flink, Spark) where the module
    file does not exist and the module cannot be imported by name.
    """

    component: str
    function: str  # the name the component calls, e.g. "run_fn"
    module_file: str | None = None  # absolute path, for tracebacks and sibling imports
    source: str | None = None  # the module file's content
    function_path: str | None = None  # or a dotted path to an importable function
    alternatives: tuple[str, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def resolve(self) -> Any:
        """The function itself (its module is loaded once per process and content)."""
        tfx_compat.install()  # TFX module files import FnArgs & co. from TFX, not installed here
        if self.source is not None:
            assert self.module_file is not None
            module = _module_from_source(self.module_file, self.source)
            where, name = self.module_file, self.function
        else:
            assert self.function_path is not None
            where, _, name = self.function_path.rpartition(".")
            module = self._import(where)
        fn = getattr(module, name, None)
        if callable(fn):
            return fn
        found = [a for a in self.alternatives if callable(getattr(module, a, None))]
        hint = (
            f" It defines {', '.join(found)}, which {self.component} does not call; write a "
            f"`{self.function}` instead (TFX's generic-executor form)."
            if found
            else f" Define `def {name}(...)` in it, or point {self.component} at the module that "
            f"does."
        )
        what = "is not a function" if fn is not None else "is not defined"
        raise UserModuleError(f"{self.component}: {name!r} {what} in module {where}.{hint}")

    @property
    def filename(self) -> str | None:
        """The file that defines the function (for pointing errors at the user's line)."""
        if self.module_file is not None:
            return self.module_file
        code = getattr(self.resolve(), "__code__", None)
        return code.co_filename if code is not None else None

    def _import(self, module_name: str) -> types.ModuleType:
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module_name + ".").startswith(exc.name + "."):
                raise  # the user's module itself failed to import something: keep that error
            raise UserModuleError(
                f"{self.component}: cannot import module {module_name!r} (from {self.function}="
                f"{self.function_path!r}): {exc}. Install it where the node runs (in a cluster: "
                f"into the step's image), or pass module_file=<path to a .py file> instead."
            ) from exc


def load_user_function(
    *,
    component: str,
    function: str,
    module_file: str | None,
    function_path: str | None,
    alternatives: Collection[str] = (),
) -> UserFunction:
    """The user function a component calls, e.g. `run_fn` for the Trainer, checked to exist.

    Exactly one of `module_file` (a Python file that defines `function`) and `function_path`
    (a dotted path to an importable function, e.g. `my_pkg.training.run_fn`, as in TFX) is given.
    `alternatives` are other names that, if defined instead, deserve their own hint (e.g. an
    Estimator `trainer_fn`).
    """
    if (module_file is None) == (function_path is None):
        given = "both" if module_file is not None else "neither"
        raise UserModuleError(
            f"{component}: give exactly one of module_file (a Python file defining "
            f"{function}) and {function} (a dotted path such as 'my_pkg.module.{function}'); "
            f"{given} was given."
        )
    if function_path is not None and "." not in function_path:
        raise UserModuleError(
            f"{component}: {function}={function_path!r} must be a dotted path to a function "
            f"(e.g. 'my_pkg.module.{function}'), or pass module_file=<path to a .py file>."
        )
    path = os.path.abspath(module_file) if module_file is not None else None
    user_fn = UserFunction(
        component=component,
        function=function,
        module_file=path,
        source=_read(path, component) if path is not None else None,
        function_path=function_path,
        alternatives=tuple(alternatives),
    )
    user_fn.resolve()  # fail now, with the fix, if the module or the function is missing
    return user_fn


def _read(path: str, component: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        raise UserModuleError(
            f"{component}: cannot read module file {path} ({exc.strerror}). Check module_file; "
            f"relative paths start at the working directory ({os.getcwd()}), and in a cluster "
            f"the file must be in the step's image or on a mounted volume."
        ) from exc


def load_module_file(path: str, *, component: str) -> types.ModuleType:
    """Import the Python file at `path`, once per content (editing the file loads it afresh)."""
    path = os.path.abspath(path)
    return _module_from_source(path, _read(path, component))


# (path, content digest) -> module: an edited file is a new module, an unchanged one is executed
# once per process (also when a Beam worker unpickles many UserFunctions of one file).
_LOADED: dict[tuple[str, str], types.ModuleType] = {}


def _module_from_source(path: str, source: str) -> types.ModuleType:
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    loaded = _LOADED.get((path, digest))
    if loaded is not None:
        return loaded
    stem = os.path.splitext(os.path.basename(path))[0]
    name = f"_headrace_user_{''.join(c if c.isalnum() else '_' for c in stem)}_{digest}"
    module = types.ModuleType(name)
    module.__file__ = path
    # Its own directory on sys.path, so that it can import its sibling modules as in TFX (where
    # the directory exists: a Beam worker elsewhere has only the source).
    directory = os.path.dirname(path)
    if os.path.isdir(directory) and directory not in sys.path:
        sys.path.insert(0, directory)
    # Tracebacks and inspect.getsource show this content, also in a worker without the file.
    linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)
    # Registered before it runs: dataclasses and typing look a module up by name.
    sys.modules[name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)  # the user's module, as import would
    except BaseException:
        del sys.modules[name]
        raise  # an error in the user's module: its own traceback says where
    _LOADED[(path, digest)] = module
    return module


def user_frame(exc: BaseException, filename: str | None) -> traceback.FrameSummary | None:
    """The innermost traceback frame of `exc` that is in `filename`."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1] if frames else None


def missing_feature_error(
    exc: KeyError,
    filename: str | None,
    *,
    component: str,
    known: Collection[str],
    what: str = "schema",
) -> UserModuleError | None:
    """A clear error if `exc` is user code in `filename` looking up a feature name that is not in
    `known`. None if the KeyError is anything else (then the user's own error stands)."""
    key = exc.args[0] if len(exc.args) == 1 else None
    if not isinstance(key, str) or key in known:
        return None
    frame = user_frame(exc, filename)
    if frame is None:
        return None
    names = sorted(known)
    shown = ", ".join(names[:30]) + (f", ... ({len(names)} in all)" if len(names) > 30 else "")
    line = f": `{frame.line.strip()}`" if frame.line else ""
    return UserModuleError(
        f"{component}: feature {key!r} is not in the {what}; module {frame.filename}, line "
        f"{frame.lineno} (in {frame.name}){line}. The {what} has: {shown}. Fix the feature name "
        f"in the module, or add {key!r} to the data and the schema."
    )
