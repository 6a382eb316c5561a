"""Pusher: publishes a blessed Model to a filesystem destination in TF Serving's layout
(`<base_directory>/<version>/`), atomically; skips, saying why, when the model is not blessed."""

# Until headrace.dsl types Input[T]/Output[T]/Parameter[T] as T for type checkers, mypy cannot see
# that the arguments are the artifacts and values the executor passes in.
# mypy: disable-error-code="attr-defined, arg-type, assignment, union-attr, index, dict-item"

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import urlsplit

from headrace.components.atomic_push import identical_latest_version, push_directory
from headrace.components.blessings import is_blessed
from headrace.components.model_paths import serving_model_path
from headrace.components.proto_parameters import to_parameter
from headrace.dsl import ExecutionContext, Input, Output, Parameter, component
from headrace.dsl.node import Channel, Node
from headrace.errors import DefinitionError
from headrace.types import Artifact, InfraBlessing, Model, ModelBlessing, PushedModel

_VERSIONING = {"AUTO", "UNIX_TIMESTAMP"}
# Stands for the pipeline root of the run in a base directory, so one pipeline definition pushes
# under whatever root it runs with (`headrace run --root`, or the PVC of a compiled workflow).
PIPELINE_ROOT = "{pipeline_root}"


def Pusher(
    model: Channel,
    push_destination: Any,
    model_blessing: Channel | None = None,
    infra_blessing: Channel | None = None,
) -> Node:
    """A TFX Pusher node; output `pushed_model` (PushedModel).

    `push_destination` is TFX's PushDestination proto, or the same as a dict:
    `{"filesystem": {"base_directory": "/serving/penguin"}}`; a base directory may start with
    `{pipeline_root}`, replaced by the run's pipeline root. The model is pushed only if every
    blessing given says blessed (the Evaluator's `model_blessing`, the InfraValidator's
    `infra_blessing`).
    """
    destination = to_parameter(
        push_destination,
        component="Pusher",
        argument="push_destination",
        message="PushDestination",
    )
    check_destination(destination)
    return _pusher_component(
        model=model,
        model_blessing=model_blessing,
        infra_blessing=infra_blessing,
        push_destination=destination,
    )


def check_destination(destination: dict[str, Any] | None) -> str:
    """The base directory of a filesystem push destination; a DefinitionError if it has none."""
    filesystem = (destination or {}).get("filesystem")
    base = filesystem.get("base_directory") if isinstance(filesystem, dict) else None
    example = '{"filesystem": {"base_directory": "/serving/my_model"}}'
    if not isinstance(base, str) or not base:
        raise DefinitionError(
            f"Pusher: push_destination must name a filesystem base directory, e.g. {example}; "
            f"got {destination!r}."
        )
    if urlsplit(base).scheme:
        raise DefinitionError(
            f"Pusher: push_destination base_directory {base!r} is a URL; the Pusher writes to a "
            f"local or mounted filesystem, where it can publish a version atomically (by rename). "
            f"Mount the bucket (e.g. gcsfuse) or push to a volume the model server reads."
        )
    versioning = filesystem.get("versioning", "AUTO")
    if versioning not in _VERSIONING:
        raise DefinitionError(
            f"Pusher: versioning {versioning!r} is not supported; use AUTO or UNIX_TIMESTAMP "
            f"(a Unix timestamp, as TF Serving expects)."
        )
    return base


@component(name="Pusher")
def _pusher_component(
    model: Input[Model],
    pushed_model: Output[PushedModel],
    push_destination: Parameter[dict],
    context: ExecutionContext,
    model_blessing: Input[ModelBlessing] | None = None,
    infra_blessing: Input[InfraBlessing] | None = None,
) -> None:
    """Push `model` to `<base_directory>/<version>/` if it is blessed; record what happened."""
    filesystem = push_destination["filesystem"]
    base = filesystem["base_directory"].replace(PIPELINE_ROOT, context.pipeline_root)
    check_destination({**push_destination, "filesystem": {**filesystem, "base_directory": base}})
    refusal = _refusal(model, model_blessing, "Evaluator") or _refusal(
        model, infra_blessing, "InfraValidator"
    )
    if refusal:
        print(f"Pusher: not pushing {model.uri}: {refusal}", flush=True)
        pushed_model.properties.update({"pushed": False, "reason": refusal})
        return
    source = serving_model_path(model, component="Pusher")
    pushed = identical_latest_version(source, base)
    if pushed is not None:
        pushed_model.properties["reason"] = (
            f"not pushed: already pushed as version {pushed.version}"
        )
    else:
        pushed = push_directory(source, base)
    # A copy in the artifact too, as TFX keeps one: the PushedModel stands on its own.
    shutil.copytree(source, pushed_model.uri, dirs_exist_ok=True)
    pushed_model.properties.update(
        {
            "pushed": True,
            "pushed_destination": pushed.path,
            "pushed_version": str(pushed.version),
            "model": model.uri,
        }
    )
    if model.id is not None:
        pushed_model.properties["model_id"] = model.id
    print(f"Pusher: {model.uri} is version {pushed.version} at {pushed.path}", flush=True)


def _refusal(model: Model, blessing: Artifact | None, by: str) -> str | None:
    """Why `blessing` forbids pushing `model`, or None if it allows it (or there is none)."""
    if blessing is None:
        return None
    why = blessing.properties.get("reason")
    detail = f": {why}" if why else ""
    if not is_blessed(blessing):
        return f"the model was not blessed by the {by}{detail}"
    blessed_id = blessing.properties.get("current_model_id", blessing.properties.get("model_id"))
    if model.id is not None and isinstance(blessed_id, int) and blessed_id != model.id:
        return (
            f"the {by}'s blessing is for model {blessed_id}, not for this model ({model.id}); "
            f"wire the Pusher's model and blessing from the same run"
        )
    return None
