"""Checks of a compiled workflow run on a real cluster, shared by scripts/local-cluster-e2e.sh
and scripts/kind-e2e.sh. Each subcommand prints what it found and exits 1 when a check fails.

    python scripts/e2e_checks.py watch NAMESPACE WORKFLOW OUT_DIR [--delete-node NODE]
        Follow WORKFLOW until it finishes: save every step pod's spec (OUT_DIR/pods/) and
        `kubectl describe` of each pod (OUT_DIR/describe/) while it runs (podGC removes them
        later); with --delete-node, delete that node's pod once while its step runs (a lost
        pod, which Argo's retryStrategy must retry). Writes OUT_DIR/workflow.json at the end.
    python scripts/e2e_checks.py run WORKFLOW.yaml OUT_DIR RUN.json [--retried NODE]
        The run succeeded, its lineage is in ML Metadata (scripts/check_lineage.py), every step
        pod asked for what its template says (CPU, memory, GPUs), and NODE was retried after its
        pod was deleted, recorded once as COMPLETE.
    python scripts/e2e_checks.py cached RUN.json NODE...
        Those nodes of a second run were served from the cache.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from check_lineage import load_run, problems

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
FINISHED = ("Succeeded", "Failed", "Error")
NODE_ANNOTATION = "workflows.argoproj.io/node-name"  # "<workflow>.<task>(<attempt>)"


def _apis() -> tuple[Any, Any]:
    from kubernetes import client, config

    config.load_kube_config()
    return client.CoreV1Api(), client.CustomObjectsApi()


def _task_of(pod: Any, workflow: str) -> str:
    name = (pod.metadata.annotations or {}).get(NODE_ANNOTATION, "")
    return name.removeprefix(f"{workflow}.").split("(")[0]


def _main_started(pod: Any, seconds: float) -> bool:
    for status in pod.status.container_statuses or []:
        running = status.state.running if status.state else None
        if status.name == "main" and running and running.started_at:
            return time.time() - running.started_at.timestamp() >= seconds
    return False


def watch(namespace: str, workflow: str, out: Path, delete_node: str | None,
          timeout: float) -> int:
    core, custom = _apis()
    (out / "pods").mkdir(parents=True, exist_ok=True)
    (out / "describe").mkdir(parents=True, exist_ok=True)
    deleted = None
    deadline = time.monotonic() + timeout
    while True:
        current = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, workflow)
        pods = core.list_namespaced_pod(
            namespace, label_selector=f"workflows.argoproj.io/workflow={workflow}").items
        for pod in pods:
            saved = out / "pods" / f"{pod.metadata.name}.json"
            if not saved.exists():
                saved.write_text(json.dumps(core.api_client.sanitize_for_serialization(pod)))
                described = subprocess.run(
                    ["kubectl", "-n", namespace, "describe", "pod", pod.metadata.name],
                    capture_output=True, text=True, check=False)
                (out / "describe" / f"{pod.metadata.name}.txt").write_text(described.stdout)
            if (delete_node and deleted is None and _task_of(pod, workflow) == delete_node
                    and _main_started(pod, 3.0)):
                # At once, as a node lost or a pod evicted by force: no grace period to finish in.
                core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)
                deleted = pod.metadata.name
                print(f"watch: deleted pod {deleted} of {delete_node} while its step ran")
        phase = current.get("status", {}).get("phase")
        if phase in FINISHED or time.monotonic() > deadline:
            (out / "workflow.json").write_text(json.dumps(current))
            print(f"watch: workflow {workflow} is {phase}")
            if phase != "Succeeded":
                _explain_failure(core, namespace, current, out)
            if delete_node and deleted is None:
                print(f"watch: node {delete_node}'s pod was never seen running", file=sys.stderr)
                return 1
            return 0 if phase == "Succeeded" else 1
        time.sleep(1.0)


def _explain_failure(core: Any, namespace: str, workflow: dict[str, Any], out: Path) -> None:
    """Each failed step's message and the end of its log (OUT_DIR/logs/), while its pod is
    still there (podGC keeps a failed workflow's pods)."""
    (out / "logs").mkdir(exist_ok=True)
    for node in workflow.get("status", {}).get("nodes", {}).values():
        if node.get("type") != "Pod" or node.get("phase") not in ("Failed", "Error"):
            continue
        print(f"watch: {node['displayName']} {node['phase']}: {node.get('message', '')}",
              file=sys.stderr)
        pod = _pod_name(workflow, node)
        try:
            log = core.read_namespaced_pod_log(pod, namespace, container="main")
        except Exception as exc:  # the pod may be gone (deleted, or garbage-collected)
            print(f"watch:   no log of pod {pod}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
            continue
        (out / "logs" / f"{pod}.log").write_text(log)
        for line in log.splitlines()[-12:]:
            print(f"watch:   {line[:300]}", file=sys.stderr)


def _pod_name(workflow: dict[str, Any], node: dict[str, Any]) -> str:
    # Argo's pod-name format v2: <workflow>-<template>-<the node id's hash suffix>.
    name = workflow["metadata"]["name"]
    return f"{name}-{node['templateName']}-{node['id'].rsplit('-', 1)[-1]}"


def _template_resources(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t["container"].get("resources", {})
            for t in workflow["spec"]["templates"] if "container" in t}


def run_problems(compiled: dict[str, Any], out: Path, run: dict[str, Any],
                 retried: str | None) -> list[str]:
    status = json.loads((out / "workflow.json").read_text())
    name = status["metadata"]["name"]
    found = []
    if status.get("status", {}).get("phase") != "Succeeded":
        found.append(f"workflow {name} is {status.get('status', {}).get('phase')}: "
                     f"{status.get('status', {}).get('message', '')}")
    found += problems(compiled, name, run)
    wanted = _template_resources(compiled)
    pods = [json.loads(p.read_text()) for p in sorted((out / "pods").glob("*.json"))]
    if not pods:
        found.append("no step pod was seen")
    gpus = 0
    for pod in pods:
        template = pod["metadata"].get("annotations", {}).get("workflows.argoproj.io/template")
        template_name = json.loads(template)["name"] if template else None
        main = next(c for c in pod["spec"]["containers"] if c["name"] == "main")
        expected = wanted.get(template_name)
        first = pod["metadata"].get("annotations", {}).get(NODE_ANNOTATION, "").endswith("(0)")
        # A retry's memory is raised (compiler/memory_retry.py); Kubernetes adds the requests
        # of extended resources (GPUs) equal to their limits: compare what the template sets.
        got = {kind: {k: v for k, v in main.get("resources", {}).get(kind, {}).items()
                      if k in expected.get(kind, {})} for kind in ("requests", "limits")} \
            if expected is not None else None
        if expected is not None and first and got != {k: expected.get(k, {}) for k in got}:
            found.append(f"pod {pod['metadata']['name']} ({template_name}) asks for "
                         f"{main.get('resources')}, its template {expected}")
        gpus += int(main.get("resources", {}).get("limits", {}).get("nvidia.com/gpu", 0))
    if any("nvidia.com/gpu" in r.get("limits", {}) for r in wanted.values()) and not gpus:
        found.append("no pod asked for the GPU its template gives it")
    if retried:
        attempts = [n for n in status["status"]["nodes"].values()
                    if n.get("type") == "Pod" and n.get("displayName", "").startswith(retried)]
        lost = [n for n in attempts if n.get("phase") in ("Error", "Failed")]
        if len(attempts) < 2 or not lost:
            found.append(f"node {retried} was not retried after its pod was deleted "
                         f"(attempts: {[(n['displayName'], n.get('phase')) for n in attempts]})")
        else:
            print(f"run: {retried} attempt {lost[0]['displayName']} ended "
                  f"{lost[0]['phase']} ({lost[0].get('message', '')}); "
                  f"{len(attempts)} attempts in all")
        complete = [e for e in run.get("executions", [])
                    if e["node_id"] == _node_id(compiled, retried) and e["state"] == "COMPLETE"]
        if len(complete) != 1:
            found.append(f"node {retried} has {len(complete)} COMPLETE executions, not 1")
    return found


def _node_id(compiled: dict[str, Any], task: str) -> str:
    dag = next(t for t in compiled["spec"]["templates"]
               if t["name"] == compiled["spec"]["entrypoint"])
    for t in dag["dag"]["tasks"]:
        if t["name"] == task:
            for p in t.get("arguments", {}).get("parameters", []):
                if p["name"] == "node":
                    return json.loads(p["value"])["id"]
    return task


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("watch")
    w.add_argument("namespace")
    w.add_argument("workflow")
    w.add_argument("out", type=Path)
    w.add_argument("--delete-node")
    w.add_argument("--timeout", type=float, default=3600)
    r = sub.add_parser("run")
    r.add_argument("compiled", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("run_json", type=Path)
    r.add_argument("--retried")
    c = sub.add_parser("cached")
    c.add_argument("run_json", type=Path)
    c.add_argument("nodes", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "watch":
        return watch(args.namespace, args.workflow, args.out, args.delete_node, args.timeout)
    run = load_run(args.run_json.read_text())
    if args.command == "run":
        found = run_problems(yaml.safe_load(args.compiled.read_text()), args.out, run,
                             args.retried)
        ok = f"run: {run['run_id']} succeeded; lineage, pod resources and retries as compiled"
    else:
        states = {e["node_id"]: e["state"] for e in run.get("executions", [])}
        found = [f"node {n} is {states.get(n)}, not CACHED" for n in args.nodes
                 if states.get(n) != "CACHED"]
        ok = f"cached: {', '.join(args.nodes)} of {run['run_id']} came from the cache"
    for p in found:
        print(f"check: {p}", file=sys.stderr)
    if not found:
        print(ok)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
