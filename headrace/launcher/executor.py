"""The executor boundary: load the component's code and call it with artifacts and parameters.

Everything the user's code raises becomes a UserCodeError that keeps the original traceback,
except a full or read-only disk, which is the infrastructure's (StorageError).
"""

from __future__ import annotations

import errno
import importlib
import os
import shutil
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from headrace.dsl.component import Component, ExecutorRef
from headrace.dsl.context import ExecutionContext
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError, HeadraceError, StorageError, UserCodeError
from headrace.ir import NodeIR
from headrace.types.artifact import Artifact


def load_component(ref: ExecutorRef) -> Component:
    """The Component an executor reference points at, imported by module name or from its file."""
    try:
        if ref.file:
            name: str | None = ref.module
            main_file = getattr(sys.modules.get("__main__"), "__file__", None)
            if name == "__main__" and main_file != os.path.abspath(ref.file):
                # Components of a script run as `python pipeline.py`, loaded in another process
                # (a step): by path under its own name, so its main block does not run again.
                name = None
            module = import_file(ref.file, name)
        else:
            module = importlib.import_module(ref.module)
        target: Any = module
        for part in ref.qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, OSError) as exc:
        where = ref.file or ref.module
        if ref.file and not os.path.exists(ref.file):
            raise DefinitionError(
                f"Cannot load component {ref.qualname!r}: its file {ref.file} is not on this "
                f"machine. In a container step the image must hold it at that path: build "
                f"your image with `headrace image build --context {os.path.dirname(ref.file)}` "
                f"and compile with `--image` set to the name it prints."
            ) from exc
        raise DefinitionError(
            f"Cannot load component {ref.qualname!r} from {where}: {exc}. Check that the code is "
            f"installed (or the file present) where the node runs."
        ) from exc
    adapt = getattr(target, "headrace_component", None)
    if not isinstance(target, Component) and callable(adapt):
        target = adapt()  # a class that makes its Component (TFX's BaseComponent subclasses)
    if not isinstance(target, Component):
        raise DefinitionError(f"{ref.module}.{ref.qualname} is not a @component.")
    return target


def run_executor(
    node: NodeIR,
    component: Component,
    inputs: Mapping[str, list[Artifact]],
    outputs: Mapping[str, list[Artifact]],
    parameters: Mapping[str, Any],
    context: ExecutionContext,
) -> None:
    kwargs: dict[str, Any] = dict(parameters)
    for declared in node.inputs:
        given = inputs.get(declared.name) or []
        kwargs[declared.name] = given[0] if given else None
    for port, artifacts in outputs.items():
        kwargs[port] = artifacts[0]
    if component.spec.context_argument:
        kwargs[component.spec.context_argument] = context
    try:
        component.fn(**kwargs)
    except HeadraceError as exc:
        # A component raising one of ours (e.g. a data error) already says what to do.
        raise UserCodeError(f"Node {node.id!r}: {exc}", traceback.format_exc()) from exc
    except OSError as exc:
        if exc.errno in STORAGE_ERRNOS:
            raise storage_error(node, exc, outputs, context) from exc
        raise _user_error(node, exc) from exc
    except Exception as exc:
        raise _user_error(node, exc) from exc


# The disk, not the code: a full file system, a quota, a read-only mount.
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def storage_error(
    node: NodeIR,
    exc: OSError,
    outputs: Mapping[str, list[Artifact]],
    context: ExecutionContext | None,
    root: str = "",
) -> StorageError:
    """What a full or read-only disk under a node means, where, and what to do."""
    uris = [a.uri for arts in outputs.values() for a in arts]
    where = str(exc.filename or (uris[0] if uris else context.pipeline_root if context else root))
    try:
        usage = shutil.disk_usage(os.path.dirname(where) if not os.path.isdir(where) else where)
        room = f" ({usage.free / 2**20:.1f} MiB free of {usage.total / 2**20:.1f} MiB there)"
    except OSError:
        room = ""
    what = {errno.ENOSPC: "ran out of disk space", errno.EDQUOT: "went over the disk quota",
            errno.EROFS: "found a read-only file system"}[exc.errno or errno.ENOSPC]
    return StorageError(
        f"Node {node.id!r} {what} writing {where}{room}: {exc.strerror}. Make room there (or run "
        f"with a --root on a larger, writable file system), then resume the run: nothing was "
        f"published, and the node's partial outputs are removed."
    )


def _user_error(node: NodeIR, exc: BaseException) -> UserCodeError:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return UserCodeError(
        f"Node {node.id!r} ({node.component}) raised {type(exc).__name__}: {exc} "
        f"(at {frame.filename}:{frame.lineno}, in {frame.name})",
        traceback.format_exc(),
    )
