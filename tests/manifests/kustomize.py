"""Render a kustomization the way `kustomize build` does, for the features `manifests/` uses and
no more: `resources` (files and directories), `namespace`, `images` and `patches` given by path
(strategic merge of maps). Anything else is refused, so the manifests stay this simple or the
helper grows on purpose. Where `kubectl` is installed, tests compare this with `kubectl kustomize`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
CLUSTER_SCOPED = {
    "Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass",
}
_POD_SPEC_PATHS = {  # where each workload kind keeps its pod spec
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "Pod": ("spec",),
}


class KustomizeError(Exception):
    pass


def load_kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory} has no kustomization.yaml")
    kz = yaml.safe_load(path.read_text()) or {}
    unknown = set(kz) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{path}: fields {sorted(unknown)} are not supported by this helper")
    return kz


def referenced_files(directory: Path) -> list[Path]:
    """Every file a kustomization names (resources and patches), directories followed."""
    kz = load_kustomization(directory)
    found = [directory / "kustomization.yaml"]
    for entry in kz.get("resources", []):
        path = (directory / entry).resolve()
        found += referenced_files(path) if path.is_dir() else [path]
    found += [(directory / p["path"]).resolve() for p in kz.get("patches", [])]
    return found


def render(directory: Path) -> list[dict[str, Any]]:
    directory = Path(directory)
    kz = load_kustomization(directory)
    objects: list[dict[str, Any]] = []
    for entry in kz.get("resources", []):
        if Path(entry).is_absolute():  # as kustomize: "new root cannot be absolute"
            raise KustomizeError(f"{directory}: resource {entry!r} is an absolute path")
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        elif path.is_file():
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
        else:
            raise KustomizeError(f"{directory}: resource {entry!r} does not exist")
    for patch in kz.get("patches", []):
        if set(patch) != {"path"}:
            raise KustomizeError(f"{directory}: only `patches: [{{path: FILE}}]` is supported")
        _apply_patch(objects, yaml.safe_load((directory / patch["path"]).read_text()))
    if "namespace" in kz:
        _set_namespace(objects, kz["namespace"])
    for image in kz.get("images", []):
        _set_image(objects, image)
    return objects


def _apply_patch(objects: list[dict[str, Any]], patch: dict[str, Any]) -> None:
    meta = patch["metadata"]
    targets = [
        o for o in objects
        if o["kind"] == patch["kind"] and o["metadata"]["name"] == meta["name"]
        and meta.get("namespace") in (None, o["metadata"].get("namespace"))
    ]
    if len(targets) != 1:
        raise KustomizeError(f"patch for {patch['kind']}/{meta['name']} matches {len(targets)}")
    _merge(targets[0], patch)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, list):
            raise KustomizeError(f"patching the list {key!r} needs merge keys; not supported")
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _set_namespace(objects: list[dict[str, Any]], namespace: str) -> None:
    for o in objects:
        if o["kind"] not in CLUSTER_SCOPED:
            o["metadata"]["namespace"] = namespace
        if o["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            for subject in o.get("subjects", []):
                if subject.get("kind") == "ServiceAccount":
                    subject["namespace"] = namespace


def pod_spec(o: dict[str, Any]) -> dict[str, Any] | None:
    path = _POD_SPEC_PATHS.get(o["kind"])
    if path is None:
        return None
    spec: Any = o
    for key in path:
        spec = spec[key]
    return spec


def containers(o: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(o)
    return [] if spec is None else [*spec.get("initContainers", []), *spec["containers"]]


def image_name(image: str) -> str:
    """`registry/name:tag@digest` -> `registry/name` (a registry port is not a tag)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _set_image(objects: list[dict[str, Any]], rule: dict[str, Any]) -> None:
    for o in objects:
        for c in containers(o):
            if image_name(c["image"]) != rule["name"]:
                continue
            image = rule.get("newName", rule["name"])
            if "digest" in rule:
                image += "@" + rule["digest"]
            elif "newTag" in rule:
                image += ":" + str(rule["newTag"])
            else:
                rest = c["image"][len(rule["name"]):]
                image += rest
            c["image"] = image
