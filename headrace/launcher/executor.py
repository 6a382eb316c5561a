"""The executor boundary: load the component's code and call it with artifacts and parameters.

Everything the user's code raises becomes a UserCodeError that keeps the original traceback.
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Mapping
from typing import Any

from headrace.dsl.component import Component, ExecutorRef
from headrace.dsl.context import ExecutionContext
from headrace.dsl.loader import import_file
from headrace.errors import DefinitionError, HeadraceError, UserCodeError
from headrace.ir import NodeIR
from headrace.types.artifact import Artifact


def load_component(ref: ExecutorRef) -> Component:
    """The Component an executor reference points at, imported by module name or from its file."""
    try:
        if ref.file:
            module = import_file(ref.file, ref.module)
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
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        raise UserCodeError(
            f"Node {node.id!r} ({node.component}) raised {type(exc).__name__}: {exc} "
            f"(at {frame.filename}:{frame.lineno}, in {frame.name})",
            traceback.format_exc(),
        ) from exc
