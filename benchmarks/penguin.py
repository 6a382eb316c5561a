"""The full penguin pipeline (README's main job) as a user runs it: `headrace run` in a fresh
process, three times on one root — cold (empty store), again (upstream cached; the Evaluator runs
once more because a baseline now exists), and fully cached — with each component's time and the
process's peak RSS. TFX 1.16 on this kind of machine: about 2 minutes cold, 1 minute cached.

    uv run python benchmarks/penguin.py [--example examples/penguin/pipeline.py] [--keep DIR]

The reference measured in the same run is the bare interpreter start-up plus `import
tensorflow`, the floor of any run that executes a TensorFlow component.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

LABELS = ("cold", "again", "cached")
STATES = {"COMPLETE": "ran", "CACHED": "cached"}


def timed(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed (exit {child.returncode}):\n{out[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out  # ru_maxrss is in KiB on Linux


def component_seconds(run_id: str, root: str) -> dict[str, tuple[str, float]]:
    shown = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "show", run_id, "--root", root, "--json"],
        capture_output=True, text=True, check=True,
    )
    executions = json.loads(shown.stdout)["executions"]
    return {e["node_id"]: (STATES.get(e["state"], e["state"]), e["seconds"]) for e in executions}


def latest_run(root: str) -> str:
    listed = subprocess.run(
        [sys.executable, "-m", "headrace", "runs", "list", "--root", root, "--json"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(listed.stdout)[0]["run_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", default="examples/penguin/pipeline.py")
    parser.add_argument("--keep", help="Use (and keep) this root instead of a temporary one.")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="headrace-bench-")
    if args.keep:
        shutil.rmtree(root, ignore_errors=True)

    floor, floor_rss, _ = timed([sys.executable, "-c", "import tensorflow"])
    print(f"reference: python -c 'import tensorflow': {floor:.1f} s, peak RSS {floor_rss:.0f} MiB")
    runs = []
    for label in LABELS:
        seconds, rss, _ = timed(
            [sys.executable, "-m", "headrace", "run", args.example, "--root", root]
        )
        runs.append((label, seconds, rss, component_seconds(latest_run(root), root)))

    nodes = list(runs[0][3])
    print(f"\n{'component':32}" + "".join(f"{label:>16}" for label in LABELS))
    for node in nodes:
        cells = []
        for _, _, _, per_node in runs:
            state, seconds = per_node.get(node, ("-", 0.0))
            cells.append(f"{seconds:7.2f} s {state:>6}")
        print(f"{node:32}" + "".join(f"{c:>16}" for c in cells))
    print(f"{'wall time (whole process)':32}" + "".join(f"{s:14.1f} s" for _, s, _, _ in runs))
    print(f"{'peak RSS':32}" + "".join(f"{m:12.0f} MiB" for _, _, m, _ in runs))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
