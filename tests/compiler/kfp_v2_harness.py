"""Runs a KFP v2 pipeline spec on this machine the way KFP's launcher runs its executors: each
task's container command and args with the launcher's placeholders filled in (input
parameters, the run's uuid, and so each task's node instance), its env plus the Secrets the
platform spec names, in dependency order, each a process; the `headrace-run` task (the run
graph) among them. No KFP code: what KFP itself accepts is the Go conformance tool's job."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_INPUT = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


@dataclass(frozen=True)
class TaskRun:
    task: str
    node: str
    argv: list[str]
    returncode: int
    output: str


def _text(value: Any) -> str:
    # How KFP's launcher writes a parameter into a command line: strings bare, numbers and
    # bools as JSON, structs and lists as JSON.
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"))


def run_spec(
    text: str,
    *,
    run_uuid: str,
    parameters: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    cwd: Path | None = None,
) -> list[TaskRun]:
    spec, platform = ([*list(yaml.safe_load_all(text)), {}])[:2]
    root = spec["root"]
    defaults = {
        n: p.get("defaultValue")
        for n, p in root.get("inputDefinitions", {}).get("parameters", {}).items()
    }
    pipeline_inputs = {**defaults, **(parameters or {})}
    k8s = (platform or {}).get("platforms", {}).get("kubernetes", {})
    configs = k8s.get("deploymentSpec", {}).get("executors", {})
    done: list[TaskRun] = []
    pending = dict(root["dag"]["tasks"])
    while pending:
        ready = [
            n
            for n, t in pending.items()
            if all(d in {r.task for r in done} for d in t.get("dependentTasks", []))
        ]
        if not ready:
            raise AssertionError(f"tasks {sorted(pending)} wait on each other")
        for name in ready:
            task = pending.pop(name)
            component = spec["components"][task["componentRef"]["name"]]
            label = component["executorLabel"]
            container = spec["deploymentSpec"]["executors"][label]["container"]
            inputs = {}
            for param, source in task.get("inputs", {}).get("parameters", {}).items():
                if "runtimeValue" in source:  # KFP's driver fills in the run's placeholders
                    constant = source["runtimeValue"]["constant"]
                    inputs[param] = run_uuid if constant == "{{$.pipeline_job_uuid}}" else constant
                else:
                    inputs[param] = pipeline_inputs[source["componentInputParameter"]]

            def fill(arg: str, inputs: dict[str, Any] = inputs) -> str:
                return _INPUT.sub(lambda m: _text(inputs[m.group(1)]), arg)

            argv = [fill(a) for a in [*container["command"], *container.get("args", [])]]
            # A step carries its own node only: a definition and its task's instance, no IR.
            assert not any(e["name"] == "HEADRACE_IR" for e in container.get("env", [])), name
            if name != "headrace-run":
                assert any(a.startswith("--instance={") for a in argv), (name, argv)
            # KFP's launcher substitutes only input placeholders in a command line
            left = [a for a in argv if "{{" in a]
            assert not left, f"task {name}: placeholders the launcher would not fill: {left}"
            if argv[0] == "python":
                argv[0] = sys.executable
            env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
            env.update({e["name"]: e["value"] for e in container.get("env", [])})
            for ref in configs.get(label, {}).get("secretAsEnv", []):
                for key in ref["keyToEnv"]:
                    env[key["envVar"]] = (secrets or {})[ref["secretName"]][key["secretKey"]]
            proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
            run = TaskRun(
                task=name,
                node=task["taskInfo"]["name"],
                argv=argv,
                returncode=proc.returncode,
                output=proc.stdout + proc.stderr,
            )
            done.append(run)
            if proc.returncode:
                raise AssertionError(f"task {name} exited {proc.returncode}:\n{run.output}")
    return done
