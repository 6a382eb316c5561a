"""How big a workflow's status grows while it runs: Argo writes one node status per DAG task (two
with a retry strategy: the Retry node and its Pod), each recording the task's inputs, into the
same object as the spec, and compresses them (gzip + base64, `status.compressedNodes`) when the
object would exceed its 1 MiB. The estimate builds the statuses of a sample of the real tasks,
with the fields Argo fills for a succeeded pod, and scales the sample up."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

_SAMPLE = 200
# A Kubernetes node name and timestamps as a real cluster writes them.
_HOST = "gke-ml-pool-1-3f9a2c1e-x7k2"
_TIME = "2026-12-04T18:00:00Z"


@dataclass(frozen=True, kw_only=True)
class StatusEstimate:
    raw: int  # bytes of `status.nodes` as JSON once every task has run
    compressed: int  # bytes of the same as Argo's `status.compressedNodes`


def _node_id(workflow: str, name: str) -> str:
    return f"{workflow}-{int(hashlib.sha256(name.encode()).hexdigest()[:9], 16)}"


def _statuses(workflow: str, task: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    name = f"{workflow}.{task['name']}"
    inputs = task.get("arguments", {})
    outputs: dict[str, Any] = {"exitCode": "0"}
    for artifact in template.get("outputs", {}).get("artifacts", []):
        outputs.setdefault("artifacts", []).append(
            {
                **artifact,
                "s3": {
                    "key": f"artifacts/{workflow}/2026/12/04/{_node_id(workflow, name)}/"
                    f"{artifact['name']}.tgz"
                },
            }
        )
    resources = template.get("container", {}).get("resources", {}).get("limits", {})
    common = {
        "templateName": template["name"],
        "templateScope": f"local/{workflow}",
        "phase": "Succeeded",
        "boundaryID": workflow,
        "startedAt": _TIME,
        "finishedAt": _TIME,
        "progress": "1/1",
        "resourcesDuration": {k: 42 for k in resources},
        **({"inputs": inputs} if inputs else {}),
        "outputs": outputs,
    }
    pod_name = f"{name}(0)" if template.get("retryStrategy") else name
    pod_id = _node_id(workflow, pod_name)
    pod = {
        "id": pod_id,
        "name": pod_name,
        "displayName": pod_name.split(".", 1)[1],
        "type": "Pod",
        **common,
        "hostNodeName": _HOST,
    }
    found = {pod_id: pod}
    if template.get("retryStrategy"):
        retry_id = _node_id(workflow, name)
        found[retry_id] = {
            "id": retry_id,
            "name": name,
            "displayName": task["name"],
            "type": "Retry",
            **common,
            "children": [pod_id],
        }
    return found


def estimate(doc: dict[str, Any]) -> StatusEstimate:
    """The status of `doc` once all its tasks succeeded (from a sample of its tasks)."""
    workflow = doc["metadata"].get("generateName", "wf-") + "x7k2p"
    templates = {t["name"]: t for t in doc["spec"]["templates"]}
    tasks = [t for tmpl in doc["spec"]["templates"] if "dag" in tmpl for t in tmpl["dag"]["tasks"]]
    if not tasks:
        return StatusEstimate(raw=0, compressed=0)
    step = max(1, len(tasks) // _SAMPLE)
    sample = tasks[::step]
    nodes: dict[str, Any] = {}
    for task in sample:
        nodes.update(_statuses(workflow, task, templates[task["template"]]))
    text = json.dumps(nodes, separators=(",", ":")).encode()
    packed = len(base64.b64encode(gzip.compress(text, 6)))  # Go's default level, as Argo
    scale = len(tasks) / len(sample)
    # The DAG's own node: phase, times, children (one id per task).
    dag = 400 + 30 * len(tasks)
    # Compressing a sample of a couple of hundred statuses gives the ratio of the whole: gzip's
    # 32 KiB window sees no more of the repetition than that.
    return StatusEstimate(
        raw=int(len(text) * scale) + dag, compressed=int(packed * scale) + dag // 4
    )
