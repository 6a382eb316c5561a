"""Check that ML Metadata holds a compiled workflow's run: `headrace runs show RUN --json` (from
the cluster's MySQL) against the workflow YAML. Used by scripts/kind-e2e.sh; exits 1 and prints
what is missing if the lineage is incomplete.

    python scripts/check_lineage.py WORKFLOW.yaml WORKFLOW_NAME RUN.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

NODE_PARAMETER = "node"  # the task argument holding the node instance (compiler/step.py)
DONE = ("COMPLETE", "CACHED")


def _arg(args: list[str], flag: str) -> str | None:
    return next((a.split("=", 1)[1] for a in args if a.startswith(f"--{flag}=")), None)


def problems(workflow: dict[str, Any], name: str, run: dict[str, Any]) -> list[str]:
    """What the run recorded in MLMD lacks, compared with the workflow it came from (none: ok)."""
    # Each node's DAG task passes its node instance (its id); the run step and the exit handler
    # (onExit) pass none: they are no nodes.
    templates = workflow["spec"]["templates"]
    dag = next(t for t in templates if t["name"] == workflow["spec"]["entrypoint"])
    nodes = set()
    for task in dag["dag"]["tasks"]:
        for p in task.get("arguments", {}).get("parameters", []):
            if p["name"] == NODE_PARAMETER:
                nodes.add(json.loads(p["value"])["id"])
    roots = {_arg(t["container"].get("args", []), "root") for t in templates if "container" in t}
    found = []
    if run.get("run_id") != name:
        found.append(f"run id {run.get('run_id')!r} is not the workflow's name {name!r}")
    done = {e["node_id"]: e for e in run.get("executions", []) if e["state"] in DONE}
    for node in sorted(nodes - set(done)):
        states = [e["state"] for e in run.get("executions", []) if e["node_id"] == node]
        found.append(f"node {node!r} has no COMPLETE or CACHED execution (states: {states})")
    for node, execution in sorted(done.items()):
        for port, artifacts in execution["outputs"].items():
            if not artifacts:
                found.append(f"node {node!r} published no artifact for output {port!r}")
            for a in artifacts:
                if not any(root and a["uri"].startswith(root.rstrip("/") + "/") for root in roots):
                    found.append(f"{node}.{port}: {a['uri']} is not under the pipeline root")
    return found


def load_run(text: str) -> dict[str, Any]:
    """The JSON `headrace runs show --json` printed, from pod logs that may also hold library
    warnings (a pod's log mixes stdout and stderr): it starts at a line that is just `{`."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "{"), None)
    if start is None:
        raise ValueError(f"no JSON object in the output: {text[:500]!r}")
    run, _ = json.JSONDecoder().raw_decode("".join(lines[start:]))
    return run


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    workflow = yaml.safe_load(Path(argv[0]).read_text())
    run = load_run(Path(argv[2]).read_text())
    found = problems(workflow, argv[1], run)
    for p in found:
        print(f"lineage: {p}", file=sys.stderr)
    if not found:
        count = len(run["executions"])
        print(f"lineage: run {argv[1]} has all its nodes in ML Metadata ({count} executions)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
