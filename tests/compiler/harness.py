"""Test harness, not a product runner: execute a compiled Argo Workflow on this machine.

It does what Argo and Kubernetes would do with the YAML, as far as a local process can: each DAG
task in dependency order runs its container's command/args as a process, with the container's
env (Secret references resolved from `secrets`, as the kubelet would), Argo placeholders
(`{{workflow.name}}`, `{{workflow.parameters.X}}`, `{{workflow.annotations.X}}`) substituted and
then Kubernetes' `$(VAR)` expansion applied; sidecars run next to the main process and are
stopped when it ends; the retryStrategy is honoured; declared output artifacts must appear.
Parameters flow as in Argo: a template's `outputs.parameters` are read from their `valueFrom.path`
files after the task succeeded (`{{tasks.T.outputs.parameters.P}}`), a task's
`arguments.parameters` become its template's `{{inputs.parameters.P}}`, and a task whose `when`
(`A == B` or `A != B` after substitution) is false is skipped, its dependents still run. A
failed task raises TaskFailed naming the task, its exit code, whether Argo would retry, and the
end of its stderr. Volume mount paths must exist locally (they stand in for the PVC).

A split workflow (a multi-document file: WorkflowTemplates, then the parent) runs as Argo runs it:
a resource template that creates a Workflow from a `workflowTemplateRef` runs that template's DAG
as a child workflow with the manifest's arguments, and succeeds when the child does. `only`
samples a big workflow: the tasks it names run, the others are skipped as if done.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_K8S_VAR = re.compile(r"\$\$|\$\(([-._a-zA-Z0-9]+)\)")
_RETRY_CODES = re.compile(r"asInt\(lastRetry\.exitCode\) in \[([0-9, ]*)\]")
_STDERR_TAIL = 3000


class HarnessError(Exception):
    """The YAML asks for something Argo or Kubernetes would refuse (or the harness cannot do)."""


class TaskFailed(Exception):
    """A task's process failed for good; `run` has every attempt."""

    def __init__(self, run: TaskRun) -> None:
        last = run.attempts[-1]
        self.run = run
        self.task = run.task
        self.exit_code = last.exit_code
        why = "retryable, retries exhausted" if last.retryable else "not retryable"
        super().__init__(
            f"task {run.task!r} (node {run.node!r}) failed with exit code {last.exit_code} "
            f"after {len(run.attempts)} attempt(s) ({why}); stderr ends:\n"
            f"{last.stderr[-_STDERR_TAIL:]}"
        )


@dataclass(frozen=True, kw_only=True)
class Attempt:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    retryable: bool


@dataclass(kw_only=True)
class TaskRun:
    task: str
    node: str  # the KFP display name: the node id
    argv: list[str]
    attempts: list[Attempt] = field(default_factory=list)
    ui_metadata: dict[str, Any] | None = None
    skipped: bool = False  # its `when` was false: Argo marks it Skipped and runs its dependents
    parameters: dict[str, str] = field(default_factory=dict)  # its output parameters


def run_workflow(
    workflow: str | dict[str, Any],
    *,
    workflow_name: str | None = None,
    parameters: Mapping[str, str] | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    python_bin: str | None = None,
    max_seconds: float = 600,
    only: Collection[str] | None = None,
    workflow_templates: Mapping[str, dict[str, Any]] | None = None,
) -> list[TaskRun]:
    """Run every task of the entrypoint DAG (or those in `only`); returns their runs in
    execution order (a child workflow's runs after the task that created it)."""
    if isinstance(workflow, str):
        docs = [d for d in yaml.safe_load_all(workflow) if d]
        workflow_templates = {**(workflow_templates or {}), **{
            d["metadata"]["name"]: d for d in docs if d.get("kind") == "WorkflowTemplate"}}
        found = [d for d in docs if d.get("kind") == "Workflow"]
        if len(found) != 1:
            raise HarnessError(f"the file holds {len(found)} Workflows, not one")
        doc = found[0]
    else:
        doc = workflow
    if doc.get("kind") != "Workflow" or doc.get("apiVersion") != "argoproj.io/v1alpha1":
        raise HarnessError("not an argoproj.io/v1alpha1 Workflow")
    spec, meta = doc["spec"], doc["metadata"]
    name = workflow_name or meta.get("name") or meta["generateName"] + uuid.uuid4().hex[:5]
    glob = _globals(doc, name, parameters or {})
    templates = {t["name"]: t for t in spec["templates"]}
    entry = templates[spec["entrypoint"]]
    if "dag" not in entry:
        raise HarnessError(f"entrypoint {entry['name']!r} is not a DAG template")
    base_env = _base_env(python_bin)
    runs = []
    for task in _order(entry["dag"]["tasks"]):
        if only is not None and task["name"] not in only:
            continue
        template = templates.get(task["template"])
        if template is not None and "resource" in template:
            child = _child_workflow(template, task, glob, workflow_templates or {})
            runs.append(TaskRun(task=task["name"], node=task["name"], argv=[]))
            runs += run_workflow(child, workflow_name=child["metadata"]["name"],
                                 parameters=_child_parameters(child), secrets=secrets, cwd=cwd,
                                 python_bin=python_bin, max_seconds=max_seconds)
            continue
        if template is None or "container" not in template:
            raise HarnessError(f"task {task['name']!r}: template {task['template']!r} is not a "
                               f"container template in this workflow")
        run = _run_task(task, template, glob, secrets or {}, base_env, cwd, max_seconds)
        runs.append(run)
        if run.skipped:
            continue
        if run.attempts[-1].exit_code != 0:
            raise TaskFailed(run)  # Argo's DAG fails fast: nothing new is scheduled
        glob.update({f"tasks.{task['name']}.outputs.parameters.{k}": v
                     for k, v in run.parameters.items()})
    return runs


def _child_workflow(template: dict[str, Any], task: dict[str, Any], glob: Mapping[str, str],
                    workflow_templates: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The Workflow a resource template creates from a WorkflowTemplate, as the controller
    would build it (the template's spec, the manifest's arguments)."""
    where = f"task {task['name']!r}"
    resource = template["resource"]
    if resource.get("action") != "create":
        raise HarnessError(f"{where}: only resource action 'create' is supported")
    manifest = yaml.safe_load(_substitute(resource["manifest"], glob, f"{where} manifest"))
    ref = manifest.get("spec", {}).get("workflowTemplateRef", {}).get("name")
    if manifest.get("kind") != "Workflow" or ref not in workflow_templates:
        raise HarnessError(f"{where}: the manifest is not a Workflow of a WorkflowTemplate in "
                           f"this file (workflowTemplateRef {ref!r})")
    spec = {**workflow_templates[ref]["spec"], "arguments": manifest["spec"]["arguments"]}
    name = manifest["metadata"]["generateName"] + uuid.uuid4().hex[:5]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": name, "labels": manifest["metadata"].get("labels", {})},
            "spec": spec}


def _child_parameters(child: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: str(p["value"]) for p in child["spec"]["arguments"]["parameters"]}


def _globals(doc: dict[str, Any], name: str, overrides: Mapping[str, str]) -> dict[str, str]:
    meta, spec = doc["metadata"], doc["spec"]
    declared = {p["name"]: p.get("value", p.get("default")) for p in
                spec.get("arguments", {}).get("parameters", [])}
    unknown = set(overrides) - set(declared)
    if unknown:
        raise HarnessError(f"parameters {sorted(unknown)} are not workflow parameters")
    values = {**declared, **overrides}
    glob = {
        "workflow.name": name,
        "workflow.namespace": meta.get("namespace", "default"),
        "workflow.uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "workflow.serviceAccountName": spec.get("serviceAccountName", "default"),
    }
    glob.update({f"workflow.parameters.{k}": str(v) for k, v in values.items()})
    glob.update({f"workflow.annotations.{k}": v
                 for k, v in meta.get("annotations", {}).items()})
    glob.update({f"workflow.labels.{k}": v for k, v in meta.get("labels", {}).items()})
    return glob


def _order(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks in dependency order (Kahn's algorithm; ties in the order the DAG lists them)."""
    by_name = {t["name"]: t for t in tasks}
    for t in tasks:
        if "depends" in t:
            raise HarnessError(f"task {t['name']!r} uses `depends`; the KFP UI needs "
                               f"`dependencies` lists")
        missing = set(t.get("dependencies", [])) - set(by_name)
        if missing:
            raise HarnessError(f"task {t['name']!r} depends on unknown tasks {sorted(missing)}")
    done: list[dict[str, Any]] = []
    placed: set[str] = set()
    while len(done) < len(tasks):
        ready = [t for t in tasks if t["name"] not in placed
                 and placed.issuperset(t.get("dependencies", []))]
        if not ready:
            raise HarnessError("the DAG has a cycle")
        done.append(ready[0])
        placed.add(ready[0]["name"])
    return done


def _base_env(python_bin: str | None) -> dict[str, str]:
    """A fresh pod's environment: no variables of the test process leak in (a password that
    arrived that way would hide a YAML that forgot its secretKeyRef); the image's Python (this
    virtualenv) comes first on PATH, and its code is importable."""
    venv_bin = str(Path(python_bin or sys.executable).parent)
    env = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/"),
           "LANG": "C.UTF-8", "PYTHONPATH": os.getcwd(), "TF_USE_LEGACY_KERAS": "1"}
    return env


def _substitute(text: str, glob: Mapping[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("="):
            raise HarnessError(f"{where}: expression tags ({{{{{key}}}}}) are not supported")
        if key not in glob:
            raise HarnessError(f"{where}: unresolved placeholder {{{{{key}}}}}; Argo would "
                               f"reject the workflow")
        return glob[key]

    # One pass, as Argo does: text that a substituted value brings in is not expanded again.
    return _PLACEHOLDER.sub(one, text)


def _expand_k8s(text: str, env: Mapping[str, str]) -> str:
    # Kubernetes expands $(VAR) in command/args from the container's env; $$ escapes a dollar;
    # an unknown $(VAR) stays as written.
    return _K8S_VAR.sub(lambda m: "$" if m.group(0) == "$$"
                        else env.get(m.group(1), m.group(0)), text)


def _container_env(container: dict[str, Any], glob: Mapping[str, str],
                   secrets: Mapping[str, Mapping[str, str]], where: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "valueFrom" in var:
            source = var["valueFrom"]
            if "secretKeyRef" not in source:
                raise HarnessError(f"{where}: env {var['name']} uses {sorted(source)}; only "
                                   f"secretKeyRef is supported")
            ref = source["secretKeyRef"]
            try:
                env[var["name"]] = secrets[ref["name"]][ref["key"]]
            except KeyError:
                raise HarnessError(
                    f"{where}: env {var['name']} needs key {ref['key']!r} of Secret "
                    f"{ref['name']!r}, which does not exist (the pod would not start)"
                ) from None
        else:
            value = _substitute(var.get("value", ""), glob, f"{where} env {var['name']}")
            env[var["name"]] = _expand_k8s(value, env)
    return env


def _argv(container: dict[str, Any], glob: Mapping[str, str], env: Mapping[str, str],
          where: str) -> list[str]:
    if not container.get("command"):
        raise HarnessError(f"{where}: no explicit command (Argo's emissary executor needs one)")
    return [_expand_k8s(_substitute(a, glob, where), env)
            for a in [*container["command"], *container.get("args", [])]]


def _run_task(task: dict[str, Any], template: dict[str, Any], glob: Mapping[str, str],
              secrets: Mapping[str, Mapping[str, str]], base_env: Mapping[str, str],
              cwd: str | os.PathLike[str] | None, max_seconds: float) -> TaskRun:
    where = f"task {task['name']!r}"
    glob = {**glob, "pod.name": f"{glob['workflow.name']}-{task['name']}",
            "tasks.name": task["name"]}
    display = template.get("metadata", {}).get("annotations", {}).get(
        "pipelines.kubeflow.org/task_display_name", task["name"])
    if "when" in task and not _when(_substitute(task["when"], glob, f"{where} when"), where):
        return TaskRun(task=task["name"], node=display, argv=[], skipped=True)
    glob.update(_inputs(task, template, glob, where))
    container = template["container"]
    for mount in container.get("volumeMounts", []):
        if not os.path.isdir(mount["mountPath"]):
            raise HarnessError(f"{where}: volume {mount['name']} should be mounted at "
                               f"{mount['mountPath']}, which does not exist here")
    env = _container_env(container, glob, secrets, where)
    argv = _argv(container, glob, env, where)
    run = TaskRun(task=task["name"], node=display, argv=argv)
    limit, codes = _retry(template.get("retryStrategy"))
    deadline = float(template.get("activeDeadlineSeconds") or max_seconds)
    while True:
        attempt = _attempt(argv, {**base_env, **env}, template, glob, secrets, base_env, cwd,
                           min(deadline, max_seconds), codes)
        run.attempts.append(attempt)
        if attempt.exit_code == 0 or not attempt.retryable or len(run.attempts) > limit:
            break
    if attempt.exit_code == 0:
        run.ui_metadata = _collect_outputs(template, where)
        run.parameters = _output_parameters(template, where)
    return run


def _when(expression: str, where: str) -> bool:
    # Argo evaluates `when` with govaluate; the compiler emits only comparisons of two values.
    match = re.fullmatch(r"\s*(.*?)\s*(==|!=)\s*(.*?)\s*", expression)
    if not match:
        raise HarnessError(f"{where}: `when: {expression}` is not A == B or A != B")
    left, op, right = (match.group(i).strip("'\"") for i in (1, 2, 3))
    return (left == right) == (op == "==")


def _inputs(task: dict[str, Any], template: dict[str, Any], glob: Mapping[str, str],
            where: str) -> dict[str, str]:
    """The template's input parameters: the task's arguments, else the declared defaults."""
    given = {p["name"]: _substitute(str(p.get("value", "")), glob, f"{where} argument")
             for p in task.get("arguments", {}).get("parameters", [])}
    values = {}
    for p in template.get("inputs", {}).get("parameters", []):
        if p["name"] in given:
            values[f"inputs.parameters.{p['name']}"] = given.pop(p["name"])
        elif "value" in p or "default" in p:
            values[f"inputs.parameters.{p['name']}"] = str(p.get("value", p.get("default")))
        else:
            raise HarnessError(f"{where}: input parameter {p['name']!r} has no value; Argo "
                               f"would reject the workflow")
    if given:
        raise HarnessError(f"{where}: arguments {sorted(given)} are not input parameters of "
                           f"template {template['name']!r}")
    return values


def _output_parameters(template: dict[str, Any], where: str) -> dict[str, str]:
    """Argo reads each output parameter's file once the main container ended; a missing file
    without a default fails the step."""
    values = {}
    for p in template.get("outputs", {}).get("parameters", []):
        path = Path(p.get("valueFrom", {}).get("path", ""))
        if path.is_file():
            values[p["name"]] = path.read_text()
        elif "default" in p.get("valueFrom", {}):
            values[p["name"]] = p["valueFrom"]["default"]
        else:
            raise HarnessError(f"{where}: output parameter {p['name']} missing at {path}")
    return values


def _retry(strategy: dict[str, Any] | None) -> tuple[int, set[int]]:
    if not strategy:
        return 0, set()
    match = _RETRY_CODES.search(strategy.get("expression", ""))
    if strategy.get("expression") and not match:
        raise HarnessError(f"retry expression {strategy['expression']!r} is not understood")
    codes = {int(c) for c in match.group(1).split(",") if c.strip()} if match else set()
    return int(strategy.get("limit", 0)), codes


def _attempt(argv: list[str], env: dict[str, str], template: dict[str, Any],
             glob: Mapping[str, str], secrets: Mapping[str, Mapping[str, str]],
             base_env: Mapping[str, str], cwd: str | os.PathLike[str] | None,
             timeout: float, retry_codes: set[int]) -> Attempt:
    sidecars = [_start_sidecar(s, glob, secrets, base_env, cwd) for s in
                template.get("sidecars", [])]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, check=False)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        # activeDeadlineSeconds: Argo kills the pod and fails the node without an exit code.
        code, out, err = -1, str(exc.stdout or ""), f"{exc.stderr or ''}\ndeadline exceeded"
    finally:
        for proc in sidecars:  # Argo kills the sidecars once the main container ends
            proc.terminate()
        for proc in sidecars:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return Attempt(exit_code=code, stdout=out, stderr=err,
                   seconds=time.monotonic() - started, retryable=code in retry_codes)


def _start_sidecar(sidecar: dict[str, Any], glob: Mapping[str, str],
                   secrets: Mapping[str, Mapping[str, str]], base_env: Mapping[str, str],
                   cwd: str | os.PathLike[str] | None) -> subprocess.Popen[bytes]:
    where = f"sidecar {sidecar['name']!r}"
    env = _container_env(sidecar, glob, secrets, where)
    argv = _argv(sidecar, glob, env, where)
    proc = subprocess.Popen(argv, env={**base_env, **env}, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--service_port=")), None)
    if port:
        _wait_for_port(port, proc, where)
    return proc


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], where: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"{where} exited with {proc.returncode} before serving :{port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    proc.kill()
    raise HarnessError(f"{where} did not serve port {port} within 60 s")


def _collect_outputs(template: dict[str, Any], where: str) -> dict[str, Any] | None:
    """Argo saves each declared output artifact; a missing non-optional one fails the step. The
    KFP UI metadata is read and removed, so the next task cannot pass with a stale file."""
    ui = None
    for artifact in template.get("outputs", {}).get("artifacts", []):
        path = Path(artifact["path"])
        if not path.exists():
            if artifact.get("optional"):
                continue
            raise HarnessError(f"{where}: output artifact {artifact['name']} missing at {path}")
        if artifact["name"] == "mlpipeline-ui-metadata":
            ui = json.loads(path.read_text())
            path.unlink()
    return ui
