"""Publishing a model directory as `<base>/<version>/` (TF Serving's layout) atomically: copied
into a hidden directory on the same filesystem, flushed to disk, then renamed into place, so a
model server never sees a half-written version, and a crash mid-copy leaves no version at all."""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

# TF Serving loads only numeric directories; this prefix marks a push in progress.
TEMP_PREFIX = ".headrace-push-"


@dataclass(frozen=True, kw_only=True)
class Pushed:
    version: int
    path: str


def existing_versions(base: str) -> list[int]:
    """The version numbers already published under `base`, ascending."""
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return []
    return sorted(int(n) for n in names if n.isdigit() and os.path.isdir(os.path.join(base, n)))


def next_version(base: str, now: float | None = None) -> int:
    """A Unix timestamp (as TFX and TF Serving expect), above every existing version, so that
    versions only increase even if two pushes fall in the same second or the clock steps back."""
    stamp = int(time.time() if now is None else now)
    return max([stamp, *(v + 1 for v in existing_versions(base))])


def identical_latest_version(source: str, base: str) -> Pushed | None:
    """The newest version under `base` if it holds exactly the files of `source` (same names and
    bytes): pushing the same model again (a re-run whose Trainer was cached) adds no version."""
    versions = existing_versions(base)
    if not versions:
        return None
    latest = os.path.join(base, str(versions[-1]))
    return Pushed(version=versions[-1], path=latest) if _same_tree(source, latest) else None


def _same_tree(a: str, b: str) -> bool:
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(os.path.join(a, d), os.path.join(b, d)) for d in compared.common_dirs)


def push_directory(
    source: str,
    base: str,
    *,
    copy: Callable[[str, str], object] = shutil.copy2,
) -> Pushed:
    """Copy the directory `source` to `<base>/<version>/` atomically; the version chosen.

    `copy(src, dst)` copies one file (tests pass one that fails half way).
    """
    os.makedirs(base, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base)
    try:
        tree = os.path.join(staging, "model")
        shutil.copytree(source, tree, copy_function=copy)
        _sync_tree(tree)
        while True:
            version = next_version(base)
            target = os.path.join(base, str(version))
            try:
                # Same filesystem, so rename is atomic; a target that appeared meanwhile (another
                # push) is not empty, and the rename fails instead of replacing it.
                os.rename(tree, target)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and os.path.isdir(tree):
                    continue
                raise
            break
        _sync(base)
        return Pushed(version=version, path=target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _sync_tree(root: str) -> None:
    # Data on disk before the rename makes it visible: a power cut cannot expose empty files.
    for directory, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(directory, name), "rb") as f:
                os.fsync(f.fileno())
        _sync(directory)


def _sync(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
