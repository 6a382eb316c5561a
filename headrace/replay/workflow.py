"""Run a compiled Argo Workflow as Argo and Kubernetes would, as far as one machine can.

The entrypoint DAG's tasks run in dependency order, independent ones in parallel (up to
`parallelism`); each task's container runs its command/args with its env (Secret references
resolved from `secrets`, as the kubelet would; a missing one fails like a pod that cannot
start), Argo placeholders substituted (`{{workflow.name}}`, `{{workflow.parameters.X}}`,
`{{workflow.annotations.X}}`, `{{inputs.parameters.X}}`, `{{tasks.T.outputs.parameters.P}}`,
`{{pod.name}}`) and then Kubernetes' `$(VAR)` expansion applied. Sidecars run beside the main
container and stop when it ends; `retryStrategy` (limit, exit codes of its expression) and
`activeDeadlineSeconds` are honoured (each retry gets `{{retries}}` and `{{lastRetry.*}}`, and
its template's `podSpecPatch` of the main container's resources: a step killed for memory comes
back with the memory the compiler's patch gives that retry; the downward API's
`resourceFieldRef` reports the patched limits); a task whose `when` is false is Skipped and its
dependents still run; output parameters are read from their `valueFrom.path`. Argo's DAG fails
fast: after a failure nothing new starts, the running tasks finish. Then `spec.onExit` runs, with
`{{workflow.status}}` and `{{workflow.failures}}` (Argo's JSON list of failed nodes), also when
the replay is stopped (`stop()`, Ctrl-C: Argo's `argo stop`).

A split workflow (a multi-document file: WorkflowTemplates, then the parent) runs as Argo runs it:
a resource template that creates a Workflow from a `workflowTemplateRef` runs that template's DAG
as a child workflow with the manifest's arguments, and succeeds when the child does. `only`
samples a big workflow: the tasks it names run, the others count as done without running.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import yaml

from headrace.replay.model import Attempt, ReplayError, TaskFailed, TaskRun
from headrace.replay.pods import Container, DockerRunner, Pod, ProcessRunner, Runner, quantity

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_K8S_VAR = re.compile(r"\$\$|\$\(([-._a-zA-Z0-9]+)\)")
# The expression the compiler writes in a podSpecPatch: a list indexed by the retry number.
_PICK_BY_RETRY = re.compile(r"\{\{=\s*\[((?:\s*'[^']*'\s*,?)*)\]\[sprig\.int\(retries\)\]\s*\}\}")
_RETRY_CODES = re.compile(r"asInt\(lastRetry\.exitCode\) in \[([0-9, ]*)\]")
_DISPLAY = "pipelines.kubeflow.org/task_display_name"


class Replay:
    """One replay of a workflow document; `run()` once. Thread-safe `stop()`."""

    def __init__(
        self,
        workflow: str | dict[str, Any],
        *,
        workflow_name: str | None = None,
        parameters: Mapping[str, str] | None = None,
        secrets: Mapping[str, Mapping[str, str]] | None = None,
        docker: bool = False,
        root: str | None = None,
        metadata: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        python_bin: str | None = None,
        parallelism: int = 4,
        max_seconds: float = 3600,
        log: Callable[[str], None] | None = None,
        runner: Runner | None = None,
        only: Collection[str] | None = None,
        workflow_templates: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        docs = [d for d in yaml.safe_load_all(workflow) if d] if isinstance(workflow, str) else [
            workflow]
        self.workflow_templates = {**(workflow_templates or {}), **{
            d["metadata"]["name"]: d for d in docs
            if isinstance(d, dict) and d.get("kind") == "WorkflowTemplate"}}
        found = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Workflow"]
        if len(found) > 1:
            raise ReplayError(f"the file holds {len(found)} Workflows, not one")
        doc = found[0] if found else docs[0] if docs else None
        if (
            not isinstance(doc, dict)
            or doc.get("kind") != "Workflow"
            or (doc.get("apiVersion") != "argoproj.io/v1alpha1")
        ):
            raise ReplayError("not an argoproj.io/v1alpha1 Workflow")
        self.doc, self.spec, meta = doc, doc["spec"], doc["metadata"]
        self.name = workflow_name or meta.get("name") or meta["generateName"] + uuid.uuid4().hex[:5]
        self.glob = _globals(doc, self.name, parameters or {})
        self.templates = {t["name"]: t for t in self.spec["templates"]}
        self.secrets = secrets or {}
        self.docker, self.root, self.metadata = docker, root, metadata
        self.parallelism, self.max_seconds = max(1, parallelism), max_seconds
        self.log = log or (lambda _line: None)
        self.volumes = self._volumes()
        if runner is not None:
            self.runner = runner
        elif docker:
            self.runner = DockerRunner(log=self.log)
        else:
            self.runner = ProcessRunner(_base_env(python_bin), str(cwd) if cwd else None)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.only = None if only is None else set(only)
        # What a child workflow (a part of a split workflow) is replayed with.
        self._child_options: dict[str, Any] = dict(
            secrets=secrets, docker=docker, root=root, metadata=metadata, cwd=cwd,
            python_bin=python_bin, parallelism=parallelism, max_seconds=max_seconds, log=log,
            runner=self.runner)
        self._children: dict[str, list[TaskRun]] = {}  # task -> the runs of the child it made
        self._running_children: list[Replay] = []

    def stop(self) -> None:
        """Argo's `argo stop`: kill the running steps, start nothing new, run the exit handler."""
        self._stop.set()
        with self._lock:
            for child in self._running_children:
                child.stop()

    # -- the DAG -------------------------------------------------------------------------------

    def run(self) -> list[TaskRun]:
        """Every task of the entrypoint DAG (then the exit handler); their runs in the order they
        ended. Raises TaskFailed for the first task that failed for good."""
        entry = self.templates[self.spec["entrypoint"]]
        if "dag" not in entry:
            raise ReplayError(f"entrypoint {entry['name']!r} is not a DAG template")
        tasks = {t["name"]: t for t in entry["dag"]["tasks"]}
        order = {name: i for i, name in enumerate(_topological(tasks))}
        runs: list[TaskRun] = []
        failed: list[TaskRun] = []
        # Sampling (`only`): the other tasks count as done, so their dependents still run.
        done: set[str] = set() if self.only is None else set(tasks) - self.only
        running: dict[Future[TaskRun], str] = {}
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            while True:
                if not failed and not self._stop.is_set():
                    for name, task in tasks.items():
                        if (
                            name not in done
                            and name not in running.values()
                            and done.issuperset(task.get("dependencies", []))
                            and len(running) < self.parallelism
                        ):
                            running[pool.submit(self._task, task, dict(self.glob))] = name
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    run = future.result()
                    runs.append(run)
                    done.add(name)
                    if not run.succeeded:
                        failed.append(run)
                        continue
                    with self._lock:
                        self.glob.update(
                            {
                                f"tasks.{name}.outputs.parameters.{k}": v
                                for k, v in run.parameters.items()
                            }
                        )
        # Deterministic: dependency order, ties in the order the DAG lists them.
        runs.sort(key=lambda r: order[r.task])
        runs = [each for r in runs for each in (r, *self._children.get(r.task, ()))]
        stopped = self._stop.is_set() and len(done) < len(tasks)
        status = "Failed" if failed or stopped else "Succeeded"
        runs += self._exit_handler(status, failed, stopped)
        if failed:
            raise TaskFailed(failed[0], runs)
        if stopped:
            raise ReplayError(f"workflow {self.name} was stopped before all its tasks ran")
        return runs

    def _exit_handler(self, status: str, failed: list[TaskRun], stopped: bool) -> list[TaskRun]:
        name = self.spec.get("onExit")
        if not name:
            return []
        failures = [
            {
                "displayName": r.task,
                "message": r.attempts[-1].message
                or f"Error (exit code {r.attempts[-1].exit_code})",
                "templateName": r.task,
                "phase": "Failed",
                "podName": f"{self.name}-{r.task}",
                "finishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            for r in failed
        ]
        glob = {
            **self.glob,
            "workflow.status": status,
            "workflow.failures": json.dumps(failures) if failures else "null",
        }
        if stopped and not failures:
            glob["workflow.failures"] = json.dumps(
                [
                    {
                        "displayName": self.name,
                        "message": "Stopped with strategy 'Stop'",
                        "templateName": self.spec["entrypoint"],
                        "phase": "Failed",
                        "podName": self.name,
                        "finishedAt": "",
                    }
                ]
            )
        self._stop.clear()  # Argo runs the exit handler of a stopped workflow
        run = self._task({"name": f"{self.name}.onExit", "template": name}, glob)
        run.exit_handler = True
        return [run]

    # -- one task ------------------------------------------------------------------------------

    def _task(self, task: dict[str, Any], glob: dict[str, str]) -> TaskRun:
        where = f"task {task['name']!r}"
        template = self.templates.get(task["template"])
        if template is not None and "resource" in template:
            return self._child_task(task, template, glob, where)
        if template is None or "container" not in template:
            raise ReplayError(
                f"{where}: template {task['template']!r} is not a container "
                f"template in this workflow"
            )
        glob = {**glob, "pod.name": f"{self.name}-{task['name']}", "tasks.name": task["name"]}
        display = template.get("metadata", {}).get("annotations", {}).get(_DISPLAY, task["name"])
        if "when" in task and not _when(_substitute(task["when"], glob, f"{where} when"), where):
            self.log(f"{task['name']}: skipped (when: {task['when']})")
            return TaskRun(task=task["name"], node=display, argv=[], skipped=True)
        glob.update(_inputs(task, template, glob, where))
        strategy = template.get("retryStrategy")
        main, sidecars = self._pod_containers(template, _retry_scope(glob, strategy, []), where)
        outputs = [
            *(
                p.get("valueFrom", {}).get("path", "")
                for p in template.get("outputs", {}).get("parameters", [])
            ),
            *(a["path"] for a in template.get("outputs", {}).get("artifacts", [])),
        ]
        run = TaskRun(task=task["name"], node=display, argv=main.argv)
        limit, codes = _retry(strategy)
        deadline = float(template.get("activeDeadlineSeconds") or self.max_seconds)
        labels = {"dev.headrace.replay": self.name, "dev.headrace.task": task["name"]}
        while True:
            if run.attempts:  # Argo substitutes each retry's template anew ({{retries}} ...)
                main, sidecars = self._pod_containers(
                    template, _retry_scope(glob, strategy, run.attempts), where
                )
            pod = Pod(
                name=f"{self.name}-{task['name']}-{len(run.attempts)}",
                main=main,
                sidecars=sidecars,
                outputs=[o for o in outputs if o],
                timeout=min(deadline, self.max_seconds),
                labels=labels,
            )
            self.log(f"{task['name']}: started (attempt {len(run.attempts) + 1})")
            attempt = self.runner.run(pod, self._stop, codes)
            run.attempts.append(attempt)
            self.log(
                f"{task['name']}: exit code {attempt.exit_code}"
                f"{' ' + attempt.message if attempt.message else ''}"
                f" after {attempt.seconds:.1f} s"
            )
            if (
                attempt.exit_code == 0
                or not attempt.retryable
                or len(run.attempts) > limit
                or self._stop.is_set()
            ):
                break
        if attempt.exit_code == 0:
            try:
                run.ui_metadata = _collect_artifacts(template, attempt, where)
                run.parameters = _output_parameters(template, attempt, where)
            except ReplayError as exc:
                # Argo fails the node when a declared output is missing.
                run.attempts[-1] = Attempt(
                    exit_code=1,
                    stdout=attempt.stdout,
                    stderr=f"{attempt.stderr}\n{exc}",
                    seconds=attempt.seconds,
                    retryable=False,
                    message=str(exc),
                )
        return run

    def _child_task(
        self, task: dict[str, Any], template: dict[str, Any], glob: Mapping[str, str], where: str
    ) -> TaskRun:
        """A resource template creating a Workflow from a WorkflowTemplate: the child is
        replayed whole; the task succeeds when it does (as its successCondition waits for)."""
        child = _child_workflow(template, glob, self.workflow_templates, where)
        parameters = {p["name"]: str(p["value"]) for p in child["spec"]["arguments"]["parameters"]}
        replay = Replay(child, workflow_name=child["metadata"]["name"], parameters=parameters,
                        workflow_templates=self.workflow_templates, **self._child_options)
        with self._lock:
            self._running_children.append(replay)
        started, code, message = time.monotonic(), 0, ""
        try:
            runs = replay.run()
        except TaskFailed as exc:
            runs, code = exc.runs, 1
            message = f"child workflow {replay.name} failed: task {exc.task!r}"
        except ReplayError as exc:
            runs, code, message = [], 1, f"child workflow {replay.name}: {exc}"
        with self._lock:
            self._running_children.remove(replay)
            self._children[task["name"]] = runs
        run = TaskRun(task=task["name"], node=task["name"], argv=[])
        run.attempts.append(Attempt(exit_code=code, stdout="", stderr=message,
                                    seconds=time.monotonic() - started, retryable=False,
                                    message=message))
        self.log(f"{task['name']}: child workflow {replay.name} "
                 f"{'succeeded' if code == 0 else 'failed'}")
        return run

    def _pod_containers(
        self, template: dict[str, Any], glob: Mapping[str, str], where: str
    ) -> tuple[Container, list[Container]]:
        """The main container (with the template's podSpecPatch applied) and the sidecars."""
        main = self._container(_patched_container(template, glob, where), glob, where)
        sidecars = [
            self._container(s, glob, f"{where} sidecar {s.get('name')!r}")
            for s in template.get("sidecars", [])
        ]
        return main, sidecars

    def _container(self, c: dict[str, Any], glob: Mapping[str, str], where: str) -> Container:
        env = _container_env(c, glob, self.secrets, where)
        argv = _argv(c, glob, env, where)
        if self.metadata:  # --metadata: the steps' MLMD, replaced wherever the compiler put it
            argv = [
                f"--metadata={self.metadata}" if a.startswith("--metadata=") else a for a in argv
            ]
        mounts = []
        for mount in c.get("volumeMounts", []):
            host = self.volumes.get(mount["name"])
            if self.docker:
                if host is None:
                    raise ReplayError(
                        f"{where}: volume {mount['name']!r} has no directory on "
                        f"this machine; give the pipeline root with --root DIR"
                    )
                mounts.append((host, mount["mountPath"]))
            elif not os.path.isdir(mount["mountPath"]) or (
                host and os.path.realpath(host) != os.path.realpath(mount["mountPath"])
            ):
                raise ReplayError(
                    f"{where}: volume {mount['name']} is mounted at {mount['mountPath']}, which "
                    f"a process can use only if that directory exists here (and is --root); "
                    f"replay with --docker --root DIR, or compile with --pipeline-root DIR."
                )
        limits = c.get("resources", {}).get("limits", {})
        gpus = [k for k in limits if k.endswith("/gpu") and str(limits[k]) not in ("0", "")]
        if gpus and self.docker:
            self.log(f"{where}: asks for {', '.join(gpus)}; replay runs it without GPUs")
        port = next(
            (int(a.split("=", 1)[1]) for a in argv if a.startswith("--service_port=")), None
        )
        return Container(
            name=c.get("name", "main"),
            image=c.get("image", ""),
            argv=argv,
            env=env,
            mounts=mounts,
            service_port=port,
            cpus=quantity(limits["cpu"], f"{where} cpu") if "cpu" in limits else None,
            memory=int(quantity(limits["memory"], f"{where} memory"))
            if "memory" in limits
            else None,
        )

    def _volumes(self) -> dict[str, str]:
        """Volume name -> directory of this machine: every PersistentVolumeClaim is --root."""
        found = {}
        for volume in self.spec.get("volumes", []):
            if "persistentVolumeClaim" in volume and self.root:
                found[volume["name"]] = str(Path(self.root).resolve())
            elif "hostPath" in volume:
                found[volume["name"]] = volume["hostPath"]["path"]
            elif "emptyDir" in volume:
                raise ReplayError(f"volume {volume['name']!r}: emptyDir is not supported")
        return found


def run_workflow(workflow: str | dict[str, Any], **kwargs: Any) -> list[TaskRun]:
    """Replay `workflow` (YAML text or a parsed document); see Replay for the arguments."""
    return Replay(workflow, **kwargs).run()


# -- Argo's and Kubernetes' rules ------------------------------------------------------------


def _child_workflow(template: dict[str, Any], glob: Mapping[str, str],
                    workflow_templates: Mapping[str, dict[str, Any]], where: str) -> dict[str, Any]:
    """The Workflow a resource template creates from a WorkflowTemplate, as the controller
    would build it (the template's spec, the manifest's arguments)."""
    resource = template["resource"]
    if resource.get("action") != "create":
        raise ReplayError(f"{where}: only resource action 'create' is supported")
    manifest = yaml.safe_load(_substitute(resource["manifest"], glob, f"{where} manifest"))
    ref = manifest.get("spec", {}).get("workflowTemplateRef", {}).get("name")
    if manifest.get("kind") != "Workflow" or ref not in workflow_templates:
        raise ReplayError(f"{where}: the manifest is not a Workflow of a WorkflowTemplate in "
                          f"this file (workflowTemplateRef {ref!r})")
    spec = {**workflow_templates[ref]["spec"], "arguments": manifest["spec"]["arguments"]}
    name = manifest["metadata"]["generateName"] + uuid.uuid4().hex[:5]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": name, "labels": manifest["metadata"].get("labels", {})},
            "spec": spec}


def _globals(doc: dict[str, Any], name: str, overrides: Mapping[str, str]) -> dict[str, str]:
    meta, spec = doc["metadata"], doc["spec"]
    declared = {
        p["name"]: p.get("value", p.get("default"))
        for p in spec.get("arguments", {}).get("parameters", [])
    }
    unknown = set(overrides) - set(declared)
    if unknown:
        raise ReplayError(
            f"parameters {sorted(unknown)} are not workflow parameters; it has "
            f"{sorted(declared) or 'none'}"
        )
    values = {**declared, **overrides}
    glob = {
        "workflow.name": name,
        "workflow.namespace": meta.get("namespace", "default"),
        "workflow.uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "workflow.serviceAccountName": spec.get("serviceAccountName", "default"),
    }
    glob.update({f"workflow.parameters.{k}": str(v) for k, v in values.items()})
    glob.update({f"workflow.annotations.{k}": v for k, v in meta.get("annotations", {}).items()})
    glob.update({f"workflow.labels.{k}": v for k, v in meta.get("labels", {}).items()})
    return glob


def _topological(tasks: Mapping[str, dict[str, Any]]) -> list[str]:
    for t in tasks.values():
        if "depends" in t:
            raise ReplayError(
                f"task {t['name']!r} uses `depends`; the KFP UI needs `dependencies` lists"
            )
        missing = set(t.get("dependencies", [])) - set(tasks)
        if missing:
            raise ReplayError(f"task {t['name']!r} depends on unknown tasks {sorted(missing)}")
    placed: list[str] = []
    while len(placed) < len(tasks):
        ready = [
            n
            for n, t in tasks.items()
            if n not in placed and set(placed).issuperset(t.get("dependencies", []))
        ]
        if not ready:
            raise ReplayError("the DAG has a cycle")
        placed.append(ready[0])
    return placed


def _base_env(python_bin: str | None) -> dict[str, str]:
    """A fresh pod's environment for a process: no variables of this process leak in (a
    password that arrived that way would hide a YAML that forgot its secretKeyRef); this
    virtualenv's Python (the image's stand-in) comes first on PATH, and its code is importable."""
    venv_bin = str(Path(python_bin or sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.getcwd(),
        "TF_USE_LEGACY_KERAS": "1",
    }


def _substitute(text: str, glob: Mapping[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("="):
            raise ReplayError(f"{where}: expression tags ({{{{{key}}}}}) are not supported")
        if key not in glob:
            raise ReplayError(
                f"{where}: unresolved placeholder {{{{{key}}}}}; Argo would reject the workflow"
            )
        return glob[key]

    # One pass, as Argo does: text that a substituted value brings in is not expanded again.
    return _PLACEHOLDER.sub(one, text)


def _expand_k8s(text: str, env: Mapping[str, str]) -> str:
    # Kubernetes expands $(VAR) in command/args from the container's env; $$ escapes a dollar;
    # an unknown $(VAR) stays as written.
    return _K8S_VAR.sub(
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text
    )


def _container_env(
    container: dict[str, Any],
    glob: Mapping[str, str],
    secrets: Mapping[str, Mapping[str, str]],
    where: str,
) -> dict[str, str]:
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "valueFrom" in var:
            source = var["valueFrom"]
            if "resourceFieldRef" in source:
                env[var["name"]] = _resource_field(container, source["resourceFieldRef"], where)
                continue
            if "secretKeyRef" not in source:
                raise ReplayError(
                    f"{where}: env {var['name']} uses {sorted(source)}; only "
                    f"secretKeyRef and resourceFieldRef are supported"
                )
            ref = source["secretKeyRef"]
            try:
                env[var["name"]] = secrets[ref["name"]][ref["key"]]
            except KeyError:
                raise ReplayError(
                    f"{where}: env {var['name']} needs key {ref['key']!r} of Secret "
                    f"{ref['name']!r}, which was not given (the pod would not start); pass "
                    f"--secret {ref['name']}/{ref['key']}=VALUE"
                ) from None
        else:
            value = _substitute(str(var.get("value", "")), glob, f"{where} env {var['name']}")
            env[var["name"]] = _expand_k8s(value, env)
    return env


def _argv(
    container: dict[str, Any], glob: Mapping[str, str], env: Mapping[str, str], where: str
) -> list[str]:
    if not container.get("command"):
        raise ReplayError(f"{where}: no explicit command (Argo's emissary executor needs one)")
    return [
        _expand_k8s(_substitute(str(a), glob, where), env)
        for a in [*container["command"], *container.get("args", [])]
    ]


def _when(expression: str, where: str) -> bool:
    # Argo evaluates `when` with govaluate; the compiler emits only comparisons of two values.
    match = re.fullmatch(r"\s*(.*?)\s*(==|!=)\s*(.*?)\s*", expression)
    if not match:
        raise ReplayError(f"{where}: `when: {expression}` is not A == B or A != B")
    left, op, right = (match.group(i).strip("'\"") for i in (1, 2, 3))
    return (left == right) == (op == "==")


def _inputs(
    task: dict[str, Any], template: dict[str, Any], glob: Mapping[str, str], where: str
) -> dict[str, str]:
    """The template's input parameters: the task's arguments, else the declared defaults."""
    given = {
        p["name"]: _substitute(str(p.get("value", "")), glob, f"{where} argument")
        for p in task.get("arguments", {}).get("parameters", [])
    }
    values = {}
    for p in template.get("inputs", {}).get("parameters", []):
        if p["name"] in given:
            values[f"inputs.parameters.{p['name']}"] = given.pop(p["name"])
        elif "value" in p or "default" in p:
            values[f"inputs.parameters.{p['name']}"] = str(p.get("value", p.get("default")))
        else:
            raise ReplayError(
                f"{where}: input parameter {p['name']!r} has no value; Argo "
                f"would reject the workflow"
            )
    if given:
        raise ReplayError(
            f"{where}: arguments {sorted(given)} are not input parameters of "
            f"template {template['name']!r}"
        )
    return values


def _output_parameters(template: dict[str, Any], attempt: Attempt, where: str) -> dict[str, str]:
    """Argo reads each output parameter's file once the main container ended; a missing file
    without a default fails the step."""
    values = {}
    for p in template.get("outputs", {}).get("parameters", []):
        source = p.get("valueFrom", {})
        path = source.get("path", "")
        if path in attempt.files:
            values[p["name"]] = attempt.files[path].decode()
        elif "default" in source:
            values[p["name"]] = source["default"]
        else:
            raise ReplayError(f"{where}: output parameter {p['name']} missing at {path}")
    return values


def _collect_artifacts(
    template: dict[str, Any], attempt: Attempt, where: str
) -> dict[str, Any] | None:
    """Argo saves each declared output artifact; a missing non-optional one fails the step.
    Returns the KFP UI metadata, if the step wrote it."""
    ui = None
    for artifact in template.get("outputs", {}).get("artifacts", []):
        if artifact["path"] not in attempt.files:
            if artifact.get("optional"):
                continue
            raise ReplayError(
                f"{where}: output artifact {artifact['name']} missing at {artifact['path']}"
            )
        if artifact["name"] == "mlpipeline-ui-metadata":
            ui = json.loads(attempt.files[artifact["path"]])
    return ui


def _retry_scope(
    glob: Mapping[str, str], strategy: dict[str, Any] | None, attempts: list[Attempt]
) -> dict[str, str]:
    """What Argo binds in a template with a retryStrategy: `retries` (0-based) and `lastRetry.*`
    (the attempt before; on the first, exit code "0" and an empty status)."""
    if not strategy:
        return dict(glob)
    last = attempts[-1] if attempts else None
    return {
        **glob,
        "retries": str(len(attempts)),
        "lastRetry.exitCode": str(last.exit_code) if last else "0",
        "lastRetry.status": ("Failed" if last.exit_code > 0 else "Error") if last else "",
        "lastRetry.duration": f"{last.seconds:.0f}" if last else "0",
    }


def _patched_container(
    template: dict[str, Any], glob: Mapping[str, str], where: str
) -> dict[str, Any]:
    """The template's main container with its `podSpecPatch` applied, as the controller does
    (a strategic merge by container name). Replay applies what the compiler writes: resources
    of the main container, with simple tags and the one expression form the compiler emits (a
    list indexed by the retry number); anything else is refused rather than ignored."""
    container = template["container"]
    text = template.get("podSpecPatch")
    if not text:
        return container
    where = f"{where} podSpecPatch"

    def pick(match: re.Match[str]) -> str:
        values = re.findall(r"'([^']*)'", match.group(1))
        index = int(glob.get("retries", "0"))
        if "retries" not in glob or index >= len(values):
            raise ReplayError(f"{where}: {match.group(0)} has no value for retry {index}")
        return values[index]

    text = _substitute(_PICK_BY_RETRY.sub(pick, text), glob, where)
    try:
        patch = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReplayError(f"{where}: not JSON or YAML: {exc}") from exc
    if not isinstance(patch, dict) or set(patch) - {"containers"}:
        raise ReplayError(f"{where}: replay applies only `containers` of a podSpecPatch")
    merged = dict(container)
    for change in patch.get("containers", []):
        if change.get("name") != container.get("name", "main") or set(change) - {
                "name", "resources"}:
            raise ReplayError(
                f"{where}: replay applies only `resources` of the main container ({change})"
            )
        resources = {k: dict(v) for k, v in container.get("resources", {}).items()}
        for kind, values in change.get("resources", {}).items():
            resources.setdefault(kind, {}).update({k: str(v) for k, v in values.items()})
        merged["resources"] = resources
    return merged


def _resource_field(container: dict[str, Any], ref: dict[str, Any], where: str) -> str:
    """The downward API's value of a container's resource (limits.memory ...): in units of its
    divisor (default 1), rounded up; with no limit set, this machine's capacity (the kubelet
    gives the node's allocatable)."""
    kind, _, name = str(ref.get("resource", "")).partition(".")
    if kind not in ("limits", "requests") or name not in ("cpu", "memory"):
        raise ReplayError(f"{where}: resourceFieldRef {ref.get('resource')!r} is not supported")
    value = container.get("resources", {}).get(kind, {}).get(name)
    if value is not None:
        amount = quantity(value, f"{where} {kind}.{name}")
    elif name == "memory":
        amount = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    else:
        amount = float(os.cpu_count() or 1)
    divisor = quantity(ref.get("divisor", "1"), f"{where} divisor")
    return str(math.ceil(amount / divisor))


def _retry(strategy: dict[str, Any] | None) -> tuple[int, set[int]]:
    if not strategy:
        return 0, set()
    match = _RETRY_CODES.search(strategy.get("expression", ""))
    if strategy.get("expression") and not match:
        raise ReplayError(f"retry expression {strategy['expression']!r} is not understood")
    codes = {int(c) for c in match.group(1).split(",") if c.strip()} if match else set()
    return int(strategy.get("limit", 0)), codes
