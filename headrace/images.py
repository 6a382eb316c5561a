"""Headrace's container images: their names, content-hash tags, and building/pushing them.

Three variants of `images/Dockerfile`, named under a repository (default `headrace`; the flag
`--repository` or the environment variable HEADRACE_IMAGE_REPOSITORY, e.g.
`registry.example.com/ml`, to push to a registry):

    cpu   <repository>/headrace:<tag>        target `headrace`
    gpu   <repository>/headrace-gpu:<tag>    target `headrace` on the CUDA/cuDNN base
    beam  <repository>/headrace-beam:<tag>   target `beam`: Beam's SDK worker pool (boot)

The tag is the first 12 hex digits of a sha256 over the build context exactly as Docker receives
it (the repository root filtered by `.dockerignore`, through the docker SDK's own matcher):
every file's path, executable bit and content, plus the variant's Dockerfile, target and build
arguments. Same sources, same tag; an edit anywhere in the context, a new tag, so a cluster never
runs a stale image under a reused name and unchanged sources are never rebuilt.

`headrace compile` defaults to these names, and must agree whether it runs from a checkout or
inside the image (`docker run IMAGE headrace compile examples/...`). Hashing /app inside the image
would be fragile (anything a user writes there, a pipeline root or a compiled YAML, would change
the tag), so the build records the names it computed in the image itself: the build argument
HEADRACE_IMAGES becomes /etc/headrace/images.json. Names are therefore resolved as: the record,
if this process runs in a Headrace image; else the hash of the source tree Headrace is imported
from; else (installed from a wheel, no sources) an ImageError asking for --image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headrace.errors import ImageError

DOCKERFILE = "images/Dockerfile"
DEFAULT_REPOSITORY = "headrace"
REPOSITORY_ENV = "HEADRACE_IMAGE_REPOSITORY"
# Where an image built by `headrace image build` records its names; the environment variable
# exists for tests.
RECORD_PATH = "/etc/headrace/images.json"
RECORD_ENV = "HEADRACE_IMAGE_RECORD"
TAG_LENGTH = 12
# Bumped when the hashing scheme changes, so old and new tags never collide.
_SCHEME = b"headrace-image-tag-v1\0"


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One image built from the Dockerfile: its name under the repository, target, build args."""

    key: str
    image: str
    target: str
    # Build-argument name -> name of the Dockerfile ARG whose default is the value. The values
    # live in the Dockerfile only (the GPU base image is pinned there, next to why).
    args_from_dockerfile: Mapping[str, str] = field(default_factory=dict)


VARIANTS: dict[str, Variant] = {
    "cpu": Variant(key="cpu", image="headrace", target="headrace"),
    "gpu": Variant(
        key="gpu",
        image="headrace-gpu",
        target="headrace",
        args_from_dockerfile={"BASE_IMAGE": "GPU_BASE_IMAGE"},
    ),
    "beam": Variant(key="beam", image="headrace-beam", target="beam"),
    # GPU steps without a CUDA base image: TensorFlow's CUDA wheels (images/Dockerfile).
    "gpu-wheels": Variant(key="gpu-wheels", image="headrace-gpu-wheels", target="gpu-wheels"),
}


def variant_key(*, gpu: bool = False, beam: bool = False, gpu_wheels: bool = False) -> str:
    """The variant the CLI flags `--gpu` / `--beam` / `--gpu-wheels` select (at most one)."""
    if gpu + beam + gpu_wheels > 1:
        raise ImageError(
            "Choose one of --gpu, --gpu-wheels and --beam: the Beam worker-pool image is CPU "
            "only, and the two GPU images differ only in where CUDA comes from."
        )
    return "gpu" if gpu else "beam" if beam else "gpu-wheels" if gpu_wheels else "cpu"


# -- the build context ---------------------------------------------------------------------------


def source_tree() -> Path | None:
    """The repository Headrace is imported from, or None when installed without it (a wheel)."""
    root = Path(__file__).resolve().parent.parent
    needed = ("pyproject.toml", "uv.lock", DOCKERFILE)
    return root if all((root / name).is_file() for name in needed) else None


def ignore_patterns(root: Path) -> list[str]:
    """`.dockerignore` read the way the docker SDK reads it before it builds (APIClient.build)."""
    path = root / ".dockerignore"
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def context_files(root: Path) -> list[str]:
    """The files (not directories) Docker receives as the build context, relative and sorted."""
    from docker.utils.build import exclude_paths

    # exclude_paths appends the Dockerfile to the list it is given; give it a copy.
    paths = exclude_paths(str(root), list(ignore_patterns(root)), dockerfile=DOCKERFILE)
    return sorted(p for p in paths if os.path.islink(root / p) or not (root / p).is_dir())


def build_args(root: Path, variant: Variant) -> dict[str, str]:
    """The variant's build arguments (values taken from the Dockerfile's ARG defaults)."""
    text = (root / DOCKERFILE).read_text()
    args = {}
    for arg, source in variant.args_from_dockerfile.items():
        found = re.search(rf"^ARG {source}=(\S+)$", text, re.MULTILINE)
        if not found:
            raise ImageError(
                f"{DOCKERFILE} declares no `ARG {source}=...` for the {variant.key} image's {arg}."
            )
        args[arg] = found.group(1)
    return args


def tag(root: Path, variant: Variant, context: bytes | None = None) -> str:
    """The content-hash tag of `variant` built from the context at `root` (`context`: its
    `context_digest`, when the caller already has it)."""
    spec = {
        "dockerfile": DOCKERFILE,
        "target": variant.target,
        "build_args": build_args(root, variant),
    }
    digest = hashlib.sha256(_SCHEME)
    digest.update(json.dumps(spec, sort_keys=True).encode() + b"\0")
    digest.update(context_digest(root) if context is None else context)
    return digest.hexdigest()[:TAG_LENGTH]


def context_digest(root: Path) -> bytes:
    """sha256 over the context's files: path, kind (file, executable, symlink) and content."""
    digest = hashlib.sha256()
    for relative, kind, content in _entries(root):
        digest.update(f"{relative}\0{kind}\0".encode())
        digest.update(content + b"\0")
    return digest.digest()


def _entries(root: Path) -> Iterator[tuple[str, str, bytes]]:
    for relative in context_files(root):
        path = root / relative
        if path.is_symlink():
            yield relative, "link", os.readlink(path).encode()
            continue
        mode = path.stat().st_mode
        kind = "exec" if mode & stat.S_IXUSR else "file"
        yield relative, kind, hashlib.sha256(path.read_bytes()).digest()


# -- names ---------------------------------------------------------------------------------------


def repository(explicit: str | None = None, recorded: str | None = None) -> str:
    """--repository, else $HEADRACE_IMAGE_REPOSITORY, else the image's record, else `headrace`."""
    chosen = explicit or os.environ.get(REPOSITORY_ENV) or recorded or DEFAULT_REPOSITORY
    return chosen.rstrip("/")


def names_for(root: Path, repo: str) -> dict[str, str]:
    """Every variant's full name (`repo/image:tag`) for the sources at `root`."""
    context = context_digest(root)
    return {key: f"{repo}/{v.image}:{tag(root, v, context)}" for key, v in VARIANTS.items()}


def record(names: Mapping[str, str], repo: str) -> dict[str, Any]:
    """What a build records in the image (/etc/headrace/images.json): every variant's tag, so
    `compile` inside any of the images names all of them as the checkout did."""
    return {"repository": repo, "tags": {k: n.rpartition(":")[2] for k, n in names.items()}}


def read_record() -> dict[str, Any] | None:
    """The names recorded in this image at build time, or None outside a Headrace image."""
    path = Path(os.environ.get(RECORD_ENV) or RECORD_PATH)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ImageError(f"Cannot read the image record {path}: {exc}") from exc
    if not isinstance(record, dict) or not isinstance(record.get("tags"), dict):
        raise ImageError(
            f"The image record {path} holds no `tags`; rebuild the image with "
            f"`headrace image build`."
        )
    return record


def image_name(key: str = "cpu", repo: str | None = None) -> str:
    """The name `headrace image build` gives (or gave) variant `key`, for this installation.

    Inside a Headrace image: the recorded tag. From a checkout: the hash of its build context.
    Otherwise an ImageError that asks for an explicit image.
    """
    variant = VARIANTS[key]
    recorded = read_record()
    if recorded is not None and key in recorded["tags"]:
        repo = repository(repo, recorded.get("repository"))
        return f"{repo}/{variant.image}:{recorded['tags'][key]}"
    root = source_tree()
    if root is None:
        raise ImageError(
            "No default container image: Headrace is installed without its source tree (e.g. "
            "from a wheel) and this is not a Headrace image, so there is nothing to name an "
            "image after. Pass --image=IMAGE (and --gpu-image=IMAGE for GPU steps), or run from "
            "a Headrace checkout, where `headrace image build` builds the default images."
        )
    return f"{repository(repo)}/{variant.image}:{tag(root, variant)}"


# -- building and pushing ------------------------------------------------------------------------

BASE_ENV = "HEADRACE_IMAGE_BASE"
BASE_CHOICES = ("auto", "official", "local")
# The build machine's CA bundle, added to the build context (never to the image: only build
# stages read it, see images/Dockerfile) so uv and apt reach registries behind a TLS proxy.
BUILD_CA = ".headrace-build-ca.pem"
_SYSTEM_CA = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


@dataclass(frozen=True, kw_only=True)
class Built:
    """An image `build` made (and pushed, if asked)."""

    name: str
    image_id: str
    pushed: bool
    bases: str = "official"  # or "local": made by `headrace image base`


def build(
    key: str = "cpu",
    *,
    repo: str | None = None,
    push: bool = False,
    base: str | None = None,
    log: Callable[[str], None] = print,
) -> Built:
    """Build variant `key` from the source tree (streaming Docker's log to `log`), tag it with
    its content hash, and push it if asked. `base`: `official` (the Dockerfile's registry
    images), `local` (made here by `headrace image base`), `auto` (official where they can be
    had, else local; default, or $HEADRACE_IMAGE_BASE). Raises ImageError with the fix."""
    root = source_tree()
    if root is None:
        raise ImageError(
            "Building images needs a Headrace source checkout (the build context "
            "is the repository with images/Dockerfile and uv.lock); run "
            "`headrace image build` from one."
        )
    variant = VARIANTS[key]
    repo = repository(repo)
    names = names_for(root, repo)
    name = names[key]
    client = _client()
    args = build_args(root, variant)
    chosen, base_args = _bases(client, root, key, base, log)
    log(f"Building {name} (target {variant.target}, {chosen} bases) from {root}")
    files = [(relative, root / relative) for relative in context_files(root)]
    image_id = _stream_build(
        client,
        log,
        fileobj=_context_tar(files, ca=_build_ca()),
        custom_context=True,
        dockerfile=DOCKERFILE,
        target=variant.target,
        tag=name,
        buildargs={**args, **base_args, "HEADRACE_IMAGES": json.dumps(record(names, repo))},
        # Builds reach package registries only over the host's network here (DESIGN.md).
        network_mode="host",
        labels={"dev.headrace.bases": chosen},
        rm=True,
        decode=True,
    )
    if push:
        _push(client, name, log)
    return Built(name=name, image_id=image_id, pushed=push, bases=chosen)


def _bases(
    client: Any, root: Path, key: str, base: str | None, log: Callable[[str], None]
) -> tuple[str, dict[str, str]]:
    """Which bases to build on, and the build arguments that select them."""
    from headrace import image_base

    base = base or os.environ.get(BASE_ENV) or "auto"
    if base not in BASE_CHOICES:
        raise ImageError(
            f"Base {base!r} is not one of {', '.join(BASE_CHOICES)} (--base, ${BASE_ENV})."
        )
    text = (root / DOCKERFILE).read_text()
    if base == "official":
        return "official", {}
    if base == "auto":
        missing = [image for image in _official_bases(root, key) if not _pullable(client, image)]
        if not missing:
            return "official", {}
        log(
            f"Cannot pull {', '.join(missing)} (no image registry reachable?): building on "
            f"local bases instead (`headrace image base` makes them)."
        )
    if key == "gpu":
        raise ImageError(
            f"The GPU image needs its CUDA base {build_args(root, VARIANTS['gpu'])['BASE_IMAGE']}"
            f", which cannot be pulled here and cannot be made locally. Build it where that "
            f"image can be pulled (`headrace image build --gpu --base official`), or mirror it "
            f"into the local engine with `docker load`."
        )
    # The classic builder builds every stage before the target: gpu-wheels comes after beam.
    made = image_base.ensure(client, text, beam=key in ("beam", "gpu-wheels"), log=log)
    return "local", made.build_args()


def _official_bases(root: Path, key: str) -> list[str]:
    text = (root / DOCKERFILE).read_text()

    def arg(name: str) -> str:
        found = re.search(rf"^ARG {name}=(\S+)$", text, re.MULTILINE)
        return found.group(1) if found else ""

    wanted = [arg("GPU_BASE_IMAGE" if key == "gpu" else "BASE_IMAGE"), arg("UV_IMAGE")]
    return [*wanted, arg("BEAM_SDK_IMAGE")] if key in ("beam", "gpu-wheels") else wanted


def _pullable(client: Any, image: str) -> bool:
    import docker

    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(image)
    except docker.errors.DockerException:
        return False
    return True


def _build_ca() -> Path | None:
    """This machine's CA bundle ($SSL_CERT_FILE, else the system's), if it has one."""
    for candidate in (os.environ.get("SSL_CERT_FILE"), *_SYSTEM_CA):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _context_tar(
    files: list[tuple[str, Path]],
    *,
    ca: Path | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> Any:
    """The build context as an uncompressed tarball: `files` (archive name, path), the build
    CA (see BUILD_CA) and generated `extra` files. The docker SDK's own tar cannot add files
    from outside the context directory, hence this one."""
    import io
    import tarfile
    import tempfile

    # Returned open (the build reads it), so not a `with` block; closed when collected.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    with tarfile.open(fileobj=out, mode="w") as tar:
        for arcname, path in files:
            tar.add(str(path), arcname=arcname, recursive=False)
        more = dict(extra or {})
        if ca is not None:
            more[BUILD_CA] = ca.read_bytes()
        for arcname, content in more.items():
            info = tarfile.TarInfo(arcname)
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    out.seek(0)
    return out


def _client() -> Any:
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        host = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
        raise ImageError(
            f"Cannot reach a Docker engine at {host}: {exc}. Building images needs a running "
            f"Docker engine: start one, or point DOCKER_HOST at one (e.g. "
            f"DOCKER_HOST=unix:///run/user/1000/docker.sock for rootless Docker, or "
            f"DOCKER_HOST=ssh://user@build-host)."
        ) from exc
    return client


def _stream_build(client: Any, log: Callable[[str], None], **kwargs: Any) -> str:
    import docker

    image_id = ""
    tail: list[str] = []
    try:
        for chunk in client.api.build(**kwargs):
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                last = "".join(tail[-5:]).strip()
                raise ImageError(
                    f"Building {kwargs['tag']} failed: {detail.strip()}"
                    + (f"\nLast build output:\n{last}" if last else "")
                )
            text = chunk.get("stream")
            if text:
                tail = [*tail[-20:], text]
                log(text.rstrip("\n"))
            image_id = chunk.get("aux", {}).get("ID", image_id)
    except docker.errors.DockerException as exc:
        raise ImageError(f"Building {kwargs['tag']} failed: {exc}") from exc
    return image_id


def _push(client: Any, name: str, log: Callable[[str], None]) -> None:
    import docker

    repo, _, tag_ = name.rpartition(":")
    log(f"Pushing {name}")
    try:
        for chunk in client.images.push(repo, tag=tag_, stream=True, decode=True):
            if "error" in chunk:
                raise ImageError(
                    f"Pushing {name} failed: {chunk['error']}. Is `docker login` done for "
                    f"{repo.split('/')[0]}, and may you push to {repo}?"
                )
            if chunk.get("status") and not chunk.get("progressDetail"):
                log(f"{chunk.get('id', '')} {chunk['status']}".strip())
    except docker.errors.DockerException as exc:
        raise ImageError(f"Pushing {name} failed: {exc}") from exc
