"""Checks of a KFP v2 pipeline-spec file that need no cluster: the kfp SDK's own loader, strict
parsing into KFP's protos (kfp-pipeline-spec), and the references between its parts.

For `headrace check` and tests; KFP's server-side code (template.New, the v2 Argo compiler) runs
in the Go conformance tool (tools/conformance), which this does not replace.
"""

from __future__ import annotations

from typing import Any

import yaml

SCHEMA_VERSION = "2.1.0"
# kfp-kubernetes' KubernetesExecutorConfig fields (camelCase, as JSON writes them); the platform
# spec holds each executor's config as a Struct, so protobuf parsing cannot catch a misspelling.
KUBERNETES_CONFIG_FIELDS = frozenset(
    {
        "secretAsVolume",
        "secretAsEnv",
        "pvcMount",
        "nodeSelector",
        "podMetadata",
        "imagePullSecret",
        "imagePullPolicy",
        "configMapAsVolume",
        "configMapAsEnv",
        "activeDeadlineSeconds",
        "fieldPathAsEnv",
        "tolerations",
        "genericEphemeralVolume",
        "nodeAffinity",
        "podAffinity",
        "enabledSharedMemory",
        "emptyDirMounts",
    }
)


def is_pipeline_spec(doc: Any) -> bool:
    """A KFP v2 pipeline spec (what `kfp.compiler` writes), as opposed to an Argo Workflow."""
    return isinstance(doc, dict) and "pipelineInfo" in doc and "root" in doc


def check_kfp_text(text: str) -> list[str]:
    """Every problem found in the file's text (empty: it passes); each names where it is."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        return [f"not YAML: {exc}"]
    if not docs or not is_pipeline_spec(docs[0]):
        return ["the first YAML document is not a KFP pipeline spec (no pipelineInfo/root)"]
    if len(docs) > 2:
        return [
            f"{len(docs)} YAML documents; a pipeline spec file holds the spec and at most "
            f"a platform spec"
        ]
    spec, platform = docs[0], (docs[1] if len(docs) == 2 else {})
    problems = _proto_problems(spec, platform)
    problems += _reference_problems(spec, platform)
    if not problems:
        problems += _sdk_problems(text)
    return problems


def _proto_problems(spec: dict[str, Any], platform: dict[str, Any]) -> list[str]:
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    problems = []
    # PipelineSpec holds deploymentSpec as a Struct, so parsing the spec accepts any executor;
    # KFP's v2 compiler parses it into PipelineDeploymentConfig when a run starts: so do we.
    for what, doc, message in (
        ("pipeline spec", spec, pipeline_spec_pb2.PipelineSpec()),
        (
            "deploymentSpec",
            spec.get("deploymentSpec", {}),
            pipeline_spec_pb2.PipelineDeploymentConfig(),
        ),
        ("platform spec", platform, pipeline_spec_pb2.PlatformSpec()),
    ):
        try:
            json_format.ParseDict(doc, message, ignore_unknown_fields=False)
        except json_format.ParseError as exc:
            problems.append(f"{what}: KFP's protos reject it: {exc}")
    if spec.get("schemaVersion") != SCHEMA_VERSION:
        problems.append(
            f"schemaVersion is {spec.get('schemaVersion')!r}; KFP's server accepts {SCHEMA_VERSION}"
        )
    return problems


def _reference_problems(spec: dict[str, Any], platform: dict[str, Any]) -> list[str]:
    problems = []
    components = spec.get("components", {})
    executors = spec.get("deploymentSpec", {}).get("executors", {})
    tasks = spec.get("root", {}).get("dag", {}).get("tasks", {})
    root_inputs = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    for name, task in tasks.items():
        where = f"root.dag.tasks.{name}"
        ref = task.get("componentRef", {}).get("name")
        if ref not in components:
            problems.append(f"{where}: componentRef {ref!r} is not in components")
            continue
        declared = components[ref].get("inputDefinitions", {}).get("parameters", {})
        given = task.get("inputs", {}).get("parameters", {})
        for param in sorted(set(given) - set(declared)):
            problems.append(f"{where}: input {param!r} is not an input of {ref}")
        for param in sorted(set(declared) - set(given)):
            if not declared[param].get("isOptional"):
                problems.append(f"{where}: required input {param!r} of {ref} is not given")
        for param, value in given.items():
            source = value.get("componentInputParameter")
            if source is not None and source not in root_inputs:
                problems.append(
                    f"{where}: input {param!r} reads pipeline input {source!r}, "
                    f"which root.inputDefinitions does not declare"
                )
        for dep in task.get("dependentTasks", []):
            if dep not in tasks:
                problems.append(f"{where}: depends on {dep!r}, which is not a task")
    for name, component in components.items():
        label = component.get("executorLabel")
        if label not in executors:
            problems.append(f"components.{name}: executor {label!r} is not in deploymentSpec")
    for name, executor in executors.items():
        if not executor.get("container", {}).get("command"):
            problems.append(
                f"deploymentSpec.executors.{name}: no command (KFP's launcher "
                f"ignores the image's ENTRYPOINT)"
            )
    k8s = platform.get("platforms", {}).get("kubernetes", {})
    for name, config in k8s.get("deploymentSpec", {}).get("executors", {}).items():
        where = f"platform spec executors.{name}"
        if name not in executors:
            problems.append(f"{where}: no such executor in deploymentSpec")
        problems += [f"{where}: {p}" for p in _kubernetes_config_problems(config)]
    return problems


def _kubernetes_config_problems(config: Any) -> list[str]:
    """KFP's driver parses each executor's config strictly into kfp-kubernetes' proto when the
    run starts; with that package here (a dev dependency) so do we, else we check the names."""
    try:
        from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s_pb2
    except ImportError:
        if not isinstance(config, dict):
            return ["is not a mapping"]
        return [
            f"{key!r} is not a kfp-kubernetes executor setting"
            for key in sorted(set(config) - KUBERNETES_CONFIG_FIELDS)
        ]
    from google.protobuf import json_format

    try:
        json_format.ParseDict(config, k8s_pb2.KubernetesExecutorConfig())
    except json_format.ParseError as exc:
        return [f"kfp-kubernetes' KubernetesExecutorConfig rejects it: {exc}"]
    return []


def _sdk_problems(text: str) -> list[str]:
    import kfp.components

    try:
        kfp.components.load_component_from_text(text)
    except Exception as exc:  # the SDK raises many types; any of them means "not loadable"
        return [f"the kfp SDK cannot load it: {type(exc).__name__}: {exc}"]
    return []
