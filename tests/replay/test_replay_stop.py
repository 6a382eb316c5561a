"""A stopped replay (Ctrl-C, Argo's `argo stop`), every step a process: the running step is
killed, the exit handler still runs and marks its execution CANCELED with Argo's message, and
`headrace runs show` says so and how to resume."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from headrace.metadata import open_store
from headrace.replay import Replay, TaskFailed

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.mysql


def test_a_stopped_run_marks_the_running_step_canceled(tmp_path, mysql_url):
    directory = tmp_path / "user-words"
    (directory / "data").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "replay" / "user_pipeline.py", directory / "pipeline.py")
    (directory / "data" / "words.txt").write_text("one two three\n")
    root = tmp_path / "root"
    root.mkdir()
    out = tmp_path / "wf.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "compile",
            str(directory / "pipeline.py"),
            "--image",
            "unused:1",
            "--pipeline-root",
            str(root),
            "--metadata",
            mysql_url,
            "--no-ui-metadata",
            "--retry-limit",
            "0",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    replay = Replay(
        out.read_text(),
        workflow_name="words-stopped",
        parameters={"pause": "60"},
        secrets={"headrace-mysql": {"password": os.environ["HEADRACE_MYSQL_PASSWORD"]}},
        cwd=REPO,
    )
    store = open_store(mysql_url)

    def stop_when_counting() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                states = {
                    e.node_id: e.state for e in store.run_executions("user-words", "words-stopped")
                }
            except Exception:  # the database does not exist until the first step made it
                states = {}
            if states.get("count_words") == "RUNNING":
                replay.stop()
                return
            time.sleep(0.5)

    threading.Thread(target=stop_when_counting, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(TaskFailed, match="Stopped with strategy 'Stop'") as caught:
        replay.run()
    assert time.monotonic() - started < 60  # killed, not waited for
    assert caught.value.runs[-1].exit_handler and caught.value.runs[-1].succeeded
    (count,) = [
        e for e in store.run_executions("user-words", "words-stopped") if e.node_id == "count_words"
    ]
    assert count.state == "CANCELED"
    assert count.error == (
        "workflow ended Failed: step count-words was stopped: Stopped with strategy 'Stop'"
    )
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "runs",
            "show",
            "words-stopped",
            "--metadata",
            mysql_url,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert "count_words CANCELED: workflow ended Failed" in " ".join(shown.stdout.split())
    assert "headrace replay WORKFLOW.yaml --name words-stopped" in shown.stdout
