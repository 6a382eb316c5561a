"""Fenced code blocks of a Markdown page and the `docs-test` markers that say how a test treats
them (the syntax is described in tests/docs/test_docs.py)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^\s*<!--\s*docs-test:(?P<body>.*?)-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,})(?P<info>[^`]*)$")
COMMAND_LANGUAGES = ("sh", "console", "bash", "shell")


@dataclass(frozen=True, kw_only=True)
class Marker:
    kind: str  # "skip", "file" or "exit"
    value: str  # the reason, the path or the exit code


@dataclass(frozen=True, kw_only=True)
class Block:
    page: str  # the page's name relative to the repository, e.g. docs/tutorial.md
    line: int  # line number of the opening fence
    language: str
    text: str
    marker: Marker | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True, kw_only=True)
class Page:
    blocks: tuple[Block, ...]
    problems: tuple[str, ...]  # malformed markers, each naming page and line


def parse_marker(body: str) -> Marker:
    """`skip (REASON)`, `file PATH` or `exit CODE`; a ValueError says what is wrong."""
    body = body.strip()
    kind, _, rest = body.partition(" ")
    rest = rest.strip()
    if kind == "skip":
        found = re.fullmatch(r"\((?P<reason>.*)\)", rest, re.DOTALL)
        if not found or not found["reason"].strip():
            raise ValueError(
                "a skip marker needs its reason in parentheses, e.g. "
                "<!-- docs-test: skip (needs a Kubernetes cluster) -->"
            )
        return Marker(kind="skip", value=found["reason"].strip())
    if kind == "file":
        if not rest or rest.startswith("/") or ".." in Path(rest).parts or " " in rest:
            raise ValueError(f"a file marker needs a relative path without '..', got {rest!r}")
        return Marker(kind="file", value=rest)
    if kind == "exit":
        if not rest.isdigit():
            raise ValueError(f"an exit marker needs the expected exit code, got {rest!r}")
        return Marker(kind="exit", value=rest)
    raise ValueError(f"unknown marker {body!r}; use skip (REASON), file PATH or exit CODE")


def parse_page(path: Path, name: str) -> Page:
    """Every fenced block of the page, with the marker right before it (blank lines between
    are allowed), and the problems with markers: malformed, or followed by no block."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    pending: tuple[int, Marker | None] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        fence = FENCE.match(line)
        if marker:
            if pending is not None:
                problems.append(f"{name}:{pending[0]}: marker is not followed by a code block")
            try:
                pending = (i + 1, parse_marker(marker["body"]))
            except ValueError as exc:
                problems.append(f"{name}:{i + 1}: {exc}")
                pending = (i + 1, None)
        elif fence:
            end = _closing_fence(lines, i + 1, fence["indent"], fence["fence"])
            text = textwrap.dedent("\n".join(lines[i + 1 : end]))
            attached = pending[1] if pending is not None else None
            language = (fence["info"].strip().split() or [""])[0].lower()
            blocks.append(
                Block(page=name, line=i + 1, language=language, text=text + "\n", marker=attached)
            )
            pending = None
            i = end
        elif line.strip() and pending is not None:
            problems.append(f"{name}:{pending[0]}: marker is not followed by a code block")
            pending = None
        i += 1
    if pending is not None:
        problems.append(f"{name}:{pending[0]}: marker is not followed by a code block")
    return Page(blocks=tuple(blocks), problems=tuple(problems))


def _closing_fence(lines: list[str], start: int, indent: str, fence: str) -> int:
    for j in range(start, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(fence) and not stripped.strip("`"):
            return j
    return len(lines)


def commands(block: Block) -> list[str]:
    """The commands of a sh/console block: continuation lines joined, comments and (in a
    console block) output lines dropped, `$ ` prompts removed."""
    found: list[str] = []
    current = ""
    for raw in block.text.splitlines():
        line = raw.rstrip()
        if not current:
            if block.language == "console":
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        found.append((current + line).strip())
        current = ""
    if current:
        found.append(current.strip())
    return found
