"""A user's image: their pipeline directory (pipeline file, components, module files, data) on
top of Headrace's image, so a compiled workflow's steps find their code without a fork.

The directory lands at the SAME absolute path it has on the building machine, and becomes the
working directory: the IR that `headrace compile DIR/pipeline.py` writes names the pipeline
file, module files and data paths by those absolute paths, so they hold inside the image as they
do here, with no path rewriting (TFX stages a module file to the pipeline root instead; this
covers every file a pipeline reads, data included). The tag is a content hash, as for
Headrace's images: of the base image's name and the directory's files (filtered by its own
`.dockerignore`, plus run outputs and caches).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from headrace import images
from headrace.errors import ImageError

LABEL = "dev.headrace.context"
# Never part of a user's image: local run outputs, caches, virtualenvs, VCS data.
DEFAULT_EXCLUDES = (
    ".git",
    ".venv",
    "**/__pycache__",
    "**/*.py[co]",
    "headrace-root",
    "**/headrace-root",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "Dockerfile",
    ".dockerignore",
)


def dockerfile(base: str, directory: Path) -> str:
    return f'FROM {base}\nCOPY . {directory}/\nWORKDIR {directory}\nLABEL {LABEL}="{directory}"\n'


def context_files(directory: Path) -> list[str]:
    from docker.utils.build import exclude_paths

    patterns = list(DEFAULT_EXCLUDES)
    ignore = directory / ".dockerignore"
    if ignore.exists():
        patterns += [
            line.strip()
            for line in ignore.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
    paths = exclude_paths(str(directory), patterns, dockerfile="Dockerfile")
    return sorted(
        p
        for p in paths
        if p != "Dockerfile" and (os.path.islink(directory / p) or not (directory / p).is_dir())
    )


def name_for(directory: Path, base: str, repo: str) -> str:
    digest = hashlib.sha256(b"headrace-user-image-v1\0")
    digest.update(dockerfile(base, directory).encode() + b"\0")
    for relative in context_files(directory):
        path = directory / relative
        mode = "link" if path.is_symlink() else "exec" if os.access(path, os.X_OK) else "file"
        content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        digest.update(f"{relative}\0{mode}\0".encode() + hashlib.sha256(content).digest())
    # An image name's path component: lower-case letters, digits and separators.
    slug = re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-") or "pipeline"
    return f"{repo}/{slug[:60]}:{digest.hexdigest()[: images.TAG_LENGTH]}"


def build(
    context_dir: str | os.PathLike[str],
    *,
    key: str = "cpu",
    repo: str | None = None,
    push: bool = False,
    base: str | None = None,
    log: Callable[[str], None] = print,
) -> images.Built:
    """Build Headrace's image `key` if missing, then the user's image on it."""
    directory = Path(context_dir).resolve()
    if not directory.is_dir():
        raise ImageError(f"--context {context_dir}: no such directory.")
    source = images.source_tree()
    if source is not None and _inside(directory, source):
        raise ImageError(
            f"--context {directory} is inside Headrace's own checkout ({source}), whose image "
            f"already holds it under /app; give a directory outside it."
        )
    repo = images.repository(repo)
    client = images._client()
    headrace_image = images.image_name(key, repo)
    built_base = "official"
    if not _exists(client, headrace_image):
        log(f"{headrace_image} is not in the local engine: building it first")
        built_base = images.build(key, repo=repo, base=base, log=log).bases
    name = name_for(directory, headrace_image, repo)
    files = [(relative, directory / relative) for relative in context_files(directory)]
    log(f"Building {name} from {directory} ({len(files)} files) on {headrace_image}")
    image_id = images._stream_build(
        client,
        log,
        fileobj=images._context_tar(
            files, extra={"Dockerfile": dockerfile(headrace_image, directory).encode()}
        ),
        custom_context=True,
        tag=name,
        rm=True,
        decode=True,
    )
    if push:
        images._push(client, name, log)
    return images.Built(name=name, image_id=image_id, pushed=push, bases=built_base)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _exists(client: object, name: str) -> bool:
    import docker

    try:
        client.images.get(name)  # type: ignore[attr-defined]
    except docker.errors.ImageNotFound:
        return False
    return True
