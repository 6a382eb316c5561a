"""The one error for TFX names Headrace does not provide: it names the TFX name, what Headrace
offers instead and where to read more, at import or construction, never later inside a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from headrace.errors import TfxNotProvided

DOC = "docs/migrating_from_tfx.md"

# TFX names users reach for that have a Headrace answer worth giving by name.
INSTEAD: Mapping[str, str] = {
    "VertexDagRunner": "compile to Argo with KubeflowDagRunner (or `headrace compile`); Vertex "
    "AI Pipelines is not a target",
    "AirflowDagRunner": "LocalDagRunner / `headrace run`, or an Argo Workflow from "
    "KubeflowDagRunner; Airflow is not a target",
    "AirflowPipelineConfig": "LocalDagRunner / `headrace run`, or KubeflowDagRunner",
    "BeamDagRunner": "LocalDagRunner (`headrace run`): Beam-based components still run on Beam",
    "InteractiveContext": "headrace.interactive.InteractiveContext (the same run/show methods)",
    "Cond": "two pipelines, or a component that decides inside its executor; conditional "
    "nodes are not supported",
    "ExitHandler": "Argo's own exit handlers on the compiled workflow; TFX exit handlers are "
    "not supported",
    "ResolverStrategy": "the provided strategies (LatestArtifactStrategy, "
    "LatestBlessedModelStrategy, SpanRangeStrategy); custom resolver "
    "strategies are not supported",
    "supported_launcher_classes": "nothing: Headrace has one launcher (driver, executor, "
    "publisher) for every node; custom launchers are not supported",
    "extensions": "Headrace's own components (e.g. the Trainer on one machine with GPUs per node "
    "via .with_resources); Google Cloud extensions are not provided",
}


def not_provided(name: str, instead: str | None = None) -> NoReturn:
    """Raise the one-line error for the TFX name `name` (e.g. "tfx.v1.dsl.Cond")."""
    leaf = name.rpartition(".")[2]
    offer = instead or INSTEAD.get(leaf)
    raise TfxNotProvided(
        f"{name} is not provided by Headrace's TFX layer (TFX is not installed); "
        + (f"instead use {offer}. See {DOC}." if offer else
           f"see {DOC} for the TFX names covered and what to use instead.")
    )


def module_getattr(module: str, children: tuple[str, ...] = ()) -> Callable[[str], Any]:
    """A module-level `__getattr__` for the `tfx.*` module `module`: submodules in `children`
    are imported on first use; any other public name fails with the one-line error."""

    def __getattr__(attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)  # introspection (copy, pickle, inspect) probes these
        if attribute in children:
            import importlib

            return importlib.import_module(
                ".".join(filter(None, ("headrace.tfx", module, attribute)))
            )
        not_provided(".".join(filter(None, ("tfx", module, attribute))))

    return __getattr__
