"""Runs the blocks of one docs page in order, in a working directory of its own that holds a copy
of the repository's examples/ and manifests/: headrace commands for real, python blocks in one
Python process per page, file blocks written; compiled workflows and kustomizations validated."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.docs.markdown_blocks import COMMAND_LANGUAGES, Block, commands

REPO = Path(__file__).resolve().parents[2]
COPIED = ("examples", "manifests")
WORKER = Path(__file__).with_name("block_worker.py")
COMMAND_TIMEOUT = 600
# `headrace run` names runs <pipeline>-<UTC date>-<time>-<6 hex digits>.
RUN_ID = re.compile(r"\b[a-z0-9][a-z0-9-]*-\d{8}-\d{6}-[0-9a-f]{6}\b")
MADE_RUN = re.compile(r"^Run (\S+): ", re.MULTILINE)


class BlockFailed(AssertionError):
    pass


def _environment() -> dict[str, str]:
    # As under `uv run`: this environment's bin directory first on PATH (`python` in a
    # container component's command run as a process is this Python).
    bin_dir = os.path.dirname(sys.executable)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def runnable(block: Block) -> bool:
    """Whether a test runs (or skips, saying why) this block; other blocks are shown text."""
    if block.marker is not None:
        return True
    return block.language == "python" or block.language in COMMAND_LANGUAGES


@dataclass
class PageRun:
    blocks: list[Block]
    workdir: Path
    done: dict[int, str] = field(default_factory=dict)  # block line -> "ok" | "failed" | "skipped"
    made_runs: list[str] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)  # id in the page -> id of this run
    written: set[str] = field(default_factory=set)
    worker: subprocess.Popen[str] | None = None

    @classmethod
    def create(cls, blocks: list[Block], workdir: Path) -> PageRun:
        workdir.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            shutil.copytree(
                REPO / name,
                workdir / name,
                ignore=shutil.ignore_patterns("__pycache__", "headrace-root"),
            )
        return cls(blocks=[b for b in blocks if runnable(b)], workdir=workdir)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stdin.close()  # type: ignore[union-attr]
            self.worker.wait(timeout=60)

    # -- running ---------------------------------------------------------------------------

    def run_through(self, target: Block) -> str:
        """Run every block of the page up to `target` not run yet (so one block can be run
        alone with `-k`); returns "skipped" or "ok", raises BlockFailed."""
        for block in self.blocks:
            if block.line not in self.done:
                failed = [line for line, state in self.done.items() if state == "failed"]
                if failed:
                    raise BlockFailed(
                        f"{target.where}: not run, the block at {target.page}:{failed[0]} failed"
                    )
                try:
                    self.done[block.line] = self._run(block)
                except BaseException:
                    self.done[block.line] = "failed"
                    raise
            if block is target:
                return self.done[block.line]
        raise KeyError(target.where)

    def _run(self, block: Block) -> str:
        marker = block.marker
        if marker is not None and marker.kind == "skip":
            return "skipped"
        if marker is not None and marker.kind == "file":
            self._write(block, marker.value)
            return "ok"
        if block.language == "python":
            self._python(block)
            return "ok"
        self._commands(block)
        return "ok"

    def _write(self, block: Block, relative: str) -> None:
        """The first block marked with a path writes the file, later ones append to it."""
        path = self.workdir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if relative in self.written else "w") as f:
            f.write(block.text)
        self.written.add(relative)
        if path.name == "kustomization.yaml":
            from tests.manifests.kustomize import render

            try:
                render(path.parent)
            except Exception as exc:
                raise BlockFailed(f"{block.where}: kustomization does not render: {exc}") from exc

    def _python(self, block: Block) -> None:
        if self.worker is None:
            self.worker = subprocess.Popen(
                [sys.executable, str(WORKER)],
                cwd=self.workdir,
                env=_environment(),
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        stem = f"{block.page.replace('/', '_').replace('.', '_')}_L{block.line}"
        blocks_dir = self.workdir / ".docs-blocks"
        blocks_dir.mkdir(exist_ok=True)
        source, log = blocks_dir / f"{stem}.py", blocks_dir / f"{stem}.log"
        source.write_text(block.text)
        assert self.worker.stdin is not None and self.worker.stdout is not None
        self.worker.stdin.write(json.dumps({"path": str(source), "log": str(log)}) + "\n")
        self.worker.stdin.flush()
        reply = self.worker.stdout.readline()
        if not reply:
            raise BlockFailed(f"{block.where}: the Python process died:\n{log.read_text()}")
        result = json.loads(reply)
        if not result["ok"]:
            raise BlockFailed(
                f"{block.where}: python block failed:\n{result['error']}\n"
                f"output:\n{log.read_text()[-3000:]}"
            )

    def _commands(self, block: Block) -> None:
        found = commands(block)
        if not found:
            raise BlockFailed(f"{block.where}: a {block.language} block with no command")
        expected = 0
        if block.marker is not None and block.marker.kind == "exit":
            if len(found) != 1:
                raise BlockFailed(f"{block.where}: an exit marker needs a block of one command")
            expected = int(block.marker.value)
        for command in found:
            self._command(block, command, expected)

    def _command(self, block: Block, command: str, expected: int) -> None:
        words = shlex.split(command, comments=True)
        if words[:2] == ["uv", "run"]:
            words = words[2:]
        if not words or words[0] != "headrace":
            raise BlockFailed(
                f"{block.where}: {command!r} is not a headrace command; the test runs only "
                f"`headrace ...` / `uv run headrace ...`. Mark the block "
                f"<!-- docs-test: skip (REASON) --> if it cannot run here."
            )
        words = [self._run_id(block, w) for w in words[1:]]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "headrace", *words],
            cwd=self.workdir,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        seconds = time.monotonic() - started
        output = done.stdout + done.stderr
        print(
            f"{block.where}: headrace {shlex.join(words)} -> exit {done.returncode} "
            f"in {seconds:.1f}s"
        )
        if done.returncode != expected:
            raise BlockFailed(
                f"{block.where}: `headrace {shlex.join(words)}` exited {done.returncode}, "
                f"expected {expected}:\n{output[-5000:]}"
            )
        if words[:1] == ["run"]:
            self.made_runs += MADE_RUN.findall(done.stdout)
        output_file = _option(words, "-o", "--output")
        if done.returncode == 0 and output_file not in (None, "-"):
            written = self.workdir / output_file
            if not written.is_file() or not written.stat().st_size:
                raise BlockFailed(f"{block.where}: `headrace {words[0]}` wrote no {output_file}")
            if words[0] == "compile" and _option(words, "--format") == "kfp":
                self._validate_kfp_spec(block, written)
            elif words[0] == "compile":
                self._validate_workflow(block, written)

    def _run_id(self, block: Block, word: str) -> str:
        """A run id in a command stands for a run this page made: the one it stood for before,
        else the latest run made by a `headrace run` command of this page."""

        def swap(found: re.Match[str]) -> str:
            shown = found.group(0)
            if shown not in self.run_ids:
                if not self.made_runs:
                    raise BlockFailed(f"{block.where}: run id {shown} before any run was made")
                self.run_ids[shown] = self.made_runs[-1]
            return self.run_ids[shown]

        return RUN_ID.sub(swap, word)

    def _validate_workflow(self, block: Block, path: Path) -> None:
        import yaml

        from tests.compiler.schema_check import JSON_SCHEMAS, crd_problems, schema_errors

        doc: Any = yaml.safe_load(path.read_text())
        problems = [p for name in JSON_SCHEMAS for p in schema_errors(doc, name)]
        problems += crd_problems(doc)
        if problems:
            raise BlockFailed(f"{block.where}: {path.name} is not a valid workflow: {problems}")


    def _validate_kfp_spec(self, block: Block, path: Path) -> None:
        from headrace.compiler.kfp_spec_check import check_kfp_text

        problems = check_kfp_text(path.read_text())
        if problems:
            raise BlockFailed(f"{block.where}: {path.name} is not a valid KFP spec: {problems}")


def _option(words: list[str], *names: str) -> str | None:
    for i, word in enumerate(words):
        for name in names:
            if word == name and i + 1 < len(words):
                return words[i + 1]
            if word.startswith(name + "="):
                return word[len(name) + 1 :]
    return None
