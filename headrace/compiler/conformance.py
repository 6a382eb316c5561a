"""Argo's and Kubeflow Pipelines' own checks on a compiled file, run by the Go tools of
tools/conformance (built by scripts/build-conformance.sh): what each version said, and where."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from headrace.compiler.errors import ConformanceError

# One binary per Argo version: Argo's modules of different minor versions pin different
# Kubernetes libraries and cannot be linked into one program.
ARGO_TOOLS = ("argo34", "argo35", "argo37", "argo40")
V2_TOOLS = ("kfpv2",)
BUILD_COMMAND = "scripts/build-conformance.sh"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One consumer's answer: `by` names it and its version; `message` is its own words."""

    check: str
    by: str
    ok: bool
    message: str = ""
    skipped: str = ""
    where: str = ""


@dataclass(frozen=True, kw_only=True)
class Conformance:
    """Every verdict on one file, and the tools that are not built (so did not check it)."""

    path: str
    format: str
    verdicts: tuple[Verdict, ...]
    missing: tuple[str, ...]

    @property
    def rejected(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.ok)

    @property
    def checked(self) -> bool:
        return any(not v.skipped for v in self.verdicts)


def tools_dir() -> Path:
    """Where the built tools are: $HEADRACE_CONFORMANCE_BIN, else tools/conformance/bin of this
    checkout (an installed package has none: the tools are a developer's and CI's)."""
    configured = os.environ.get("HEADRACE_CONFORMANCE_BIN")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "tools" / "conformance" / "bin"


def tool_path(name: str) -> Path:
    return tools_dir() / f"conformance-{name}"


def missing_tools(names: Iterable[str] = ARGO_TOOLS + V2_TOOLS) -> tuple[str, ...]:
    return tuple(n for n in names if not os.access(tool_path(n), os.X_OK))


def build_hint(missing: Sequence[str]) -> str:
    return (
        f"not checked by {', '.join('conformance-' + m for m in missing)}: not built in "
        f"{tools_dir()}; build with `{BUILD_COMMAND}` (needs Go and the Go module proxy)"
    )


def file_format(path: str | Path) -> str:
    """'argo' for an Argo Workflow, 'kfp-v2' for a KFP pipeline spec; ConformanceError else."""
    try:
        text = Path(path).read_text()
        first = next(iter(yaml.load_all(text, Loader=_LOADER)), None)
    except OSError as exc:
        raise ConformanceError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except yaml.YAMLError as exc:
        raise ConformanceError(f"{path} is not YAML: {exc}") from exc
    if isinstance(first, dict) and str(first.get("apiVersion", "")).startswith("argoproj.io/"):
        return "argo"
    if isinstance(first, dict) and "pipelineInfo" in first and "root" in first:
        return "kfp-v2"
    raise ConformanceError(
        f"{path} is neither an Argo Workflow (apiVersion argoproj.io/v1alpha1, kind Workflow) "
        f"nor a KFP pipeline spec (pipelineInfo and root); compile one with `headrace compile`."
    )


def check_file(path: str | Path, params: Mapping[str, str] | None = None) -> Conformance:
    return check_files([path], params)[0]


def check_files(
    paths: Sequence[str | Path], params: Mapping[str, str] | None = None
) -> list[Conformance]:
    """Run every built tool that understands each file's format; one process per tool."""
    formats = {str(p): file_format(p) for p in paths}
    found: dict[str, list[Verdict]] = {p: [] for p in formats}
    missing: dict[str, tuple[str, ...]] = {}
    for fmt, tools in (("argo", ARGO_TOOLS), ("kfp-v2", V2_TOOLS)):
        group = [p for p, f in formats.items() if f == fmt]
        if not group:
            continue
        absent = missing_tools(tools)
        for p in group:
            missing[p] = absent
        for tool in tools:
            if tool in absent:
                continue
            for report in _run(tool, group, params or {}):
                found[report["path"]] += [_verdict(c, report["path"]) for c in report["checks"]]
    return [
        Conformance(path=p, format=formats[p], verdicts=tuple(found[p]), missing=missing.get(p, ()))
        for p in formats
    ]


def _run(tool: str, paths: list[str], params: Mapping[str, str]) -> list[dict[str, Any]]:
    args = [str(tool_path(tool))]
    for name, value in params.items():
        args += ["--param", f"{name}={value}"]
    done = subprocess.run([*args, "--", *paths], capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise ConformanceError(
            f"conformance-{tool} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}; "
            f"rebuild it with `{BUILD_COMMAND}`."
        )
    try:
        files: list[dict[str, Any]] = json.loads(done.stdout)["files"]
    except (ValueError, KeyError) as exc:
        raise ConformanceError(
            f"conformance-{tool} printed no report; rebuild it with `{BUILD_COMMAND}`."
        ) from exc
    return files


def _verdict(raw: dict[str, Any], path: str) -> Verdict:
    message = raw.get("message", "")
    return Verdict(
        check=raw["check"],
        by=raw["by"],
        ok=raw["ok"],
        message=message,
        skipped=raw.get("skipped", ""),
        where=locate(path, message) if message else "",
    )


_TEMPLATE = re.compile(r"templates\.([A-Za-z0-9][-A-Za-z0-9]*)(?:\.(?:tasks|steps)\.([^ .]+))?")
_UNKNOWN_FIELD = re.compile(r'unknown field "([^"]+)"')
_TEMPLATE_INDEX = re.compile(r"spec\.templates\[(\d+)\]((?:\.[A-Za-z]+)*)")


def locate(path: str | Path, message: str) -> str:
    """Where in the YAML a validator's message points: the line of the template or task it
    names, or of the unknown field; '' when the message names no place."""
    try:
        root = yaml.compose(Path(path).read_text(), Loader=_LOADER)
    except (OSError, yaml.YAMLError):
        return ""
    if root is None:
        return ""
    # The most specific mention first: KFP repeats the template name before the task's path.
    matches = sorted(_TEMPLATE.finditer(message), key=lambda m: m.group(2) is None)
    if match := next(iter(matches), None):
        template = _named(_get(_get(root, "spec"), "templates"), match.group(1))
        if template is not None and match.group(2):
            tasks = _get(_get(template, "dag"), "tasks")
            task = _named(tasks, match.group(2))
            if task is not None:
                return (
                    f"line {task.start_mark.line + 1}: template {match.group(1)!r}, "
                    f"task {match.group(2)!r}"
                )
        if template is not None:
            return f"line {template.start_mark.line + 1}: template {match.group(1)!r}"
    if match := _TEMPLATE_INDEX.search(message):
        templates = _get(_get(root, "spec"), "templates")
        index = int(match.group(1))
        if isinstance(templates, yaml.SequenceNode) and index < len(templates.value):
            node = templates.value[index]
            name = _get(node, "name")
            line = node.start_mark.line + 1
            for key in match.group(2).split(".")[1:]:
                node = _get(node, key)
                if node is None:
                    break
                line = node.start_mark.line + 1
            label = f"template {name.value!r}" if name is not None else f"template #{index}"
            return f"line {line}: {label}{match.group(2)}"
    if match := _UNKNOWN_FIELD.search(message):
        key = _find_key(root, match.group(1))
        if key is not None:
            return f"line {key.start_mark.line + 1}: field {match.group(1)!r}"
    return ""


def _get(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def _named(seq: Any, name: str) -> Any:
    if isinstance(seq, yaml.SequenceNode):
        for item in seq.value:
            named = _get(item, "name")
            if named is not None and named.value == name:
                return item
    return None


def _find_key(node: Any, key: str) -> Any:
    """The first mapping key spelled `key`, depth first (an unknown field names no path)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for k, _ in current.value:
                if k.value == key:
                    return k
            stack += [v for _, v in reversed(current.value)]
        elif isinstance(current, yaml.SequenceNode):
            stack += reversed(current.value)
    return None
