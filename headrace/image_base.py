"""Local stand-ins for the Dockerfile's base images, for machines that reach no image registry.

`images/Dockerfile` starts from three images pulled from registries (the Python, uv and Beam SDK
images). Where none can be pulled, `headrace image base` makes equivalents here, once:

    python   a Debian bookworm root file system from `debootstrap --variant=minbase` with
             Debian's python3 (3.11) and ca-certificates, imported with `docker import`
    uv       an image holding only /uv, the binary from uv's PyPI wheel (sha256 checked)
    beam     an image holding only /opt/apache/beam/boot, Beam's SDK harness boot built with
             `go install` from the Go module of the Beam version in uv.lock

and `headrace image build` passes them as build arguments. Each is tagged with what it was made
from (Debian suite, uv version, Beam version), so making them again is a no-op.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.errors import ImageError

REPOSITORY = "headrace-base"
SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
LABEL = "dev.headrace.base"
# Removed from the debootstrap'ed tree: package caches and lists, docs, man pages, locales
# (about half of minbase's size; the build stage runs `apt-get update` again).
_PRUNE = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
    "usr/share/info",
)


@dataclass(frozen=True, kw_only=True)
class Bases:
    """The build arguments that replace the Dockerfile's registry bases."""

    python: str
    uv: str
    beam: str

    def build_args(self) -> dict[str, str]:
        return {"BASE_IMAGE": self.python, "UV_IMAGE": self.uv, "BEAM_SDK_IMAGE": self.beam}


def names(dockerfile_text: str) -> Bases:
    """The local bases' names for this Dockerfile (versions read from its ARG defaults)."""
    return Bases(
        python=f"{REPOSITORY}/python:3.11-{SUITE}",
        uv=f"{REPOSITORY}/uv:{_arg_version(dockerfile_text, 'UV_IMAGE')}",
        beam=f"{REPOSITORY}/beam-sdk:{_arg_version(dockerfile_text, 'BEAM_SDK_IMAGE')}",
    )


def _arg_version(text: str, arg: str) -> str:
    found = re.search(rf"^ARG {arg}=\S+:(\S+)$", text, re.MULTILINE)
    if not found:
        raise ImageError(f"images/Dockerfile declares no `ARG {arg}=IMAGE:VERSION`.")
    return found.group(1)


def ensure(
    client: Any, dockerfile_text: str, *, beam: bool, log: Callable[[str], None] = print
) -> Bases:
    """Make the local bases that are missing (the Beam one only if `beam`); return their names."""
    bases = names(dockerfile_text)
    makers = [(bases.python, _make_python), (bases.uv, _make_uv)]
    if beam:
        makers.append((bases.beam, _make_beam))
    for name, make in makers:
        if _exists(client, name):
            continue
        log(f"Making the local base image {name} (no registry needed; once per machine)")
        make(client, name, log)
        log(f"Made {name}")
    return bases


def _exists(client: Any, name: str) -> bool:
    import docker

    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def _import(client: Any, name: str, data: bytes | Path, changes: list[str]) -> None:
    """`docker import` of a root file system tarball (bytes, or a directory to tar)."""
    repo, _, tag = name.rpartition(":")
    if isinstance(data, Path):
        # tar(1) rather than tarfile: it keeps devices, hard links and xattrs of a root fs,
        # and streams it instead of holding ~130 MB in memory.
        with subprocess.Popen(["tar", "-C", str(data), "-c", "."], stdout=subprocess.PIPE) as tar:
            client.api.import_image_from_stream(
                tar.stdout, repository=repo, tag=tag, changes=changes
            )
        if tar.returncode:
            raise ImageError(f"tar of {data} failed (exit {tar.returncode}) while making {name}.")
    else:
        client.api.import_image_from_data(data, repository=repo, tag=tag, changes=changes)
    if not _exists(client, name):
        raise ImageError(f"docker import did not produce {name}.")


def _make_python(client: Any, name: str, log: Callable[[str], None]) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise ImageError(
            f"Cannot make the local base {name}: debootstrap is not installed. Install it "
            f"(`apt-get install debootstrap`, as root) and run `headrace image base` again, or "
            f"build where the Dockerfile's base images can be pulled."
        )
    if os.geteuid() != 0:
        raise ImageError(
            f"Cannot make the local base {name}: debootstrap must run as root (it creates "
            f"device files and owners). Run `sudo headrace image base` once."
        )
    with tempfile.TemporaryDirectory(prefix="headrace-base-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        done = subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                "--include=python3,ca-certificates",
                SUITE,
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
            raise ImageError(
                f"debootstrap of Debian {SUITE} from {DEBIAN_MIRROR} failed (exit "
                f"{done.returncode}), so the local base {name} cannot be made:\n{tail}\n"
                f"Check that {DEBIAN_MIRROR} is reachable from this machine."
            )
        for relative in _PRUNE:
            shutil.rmtree(rootfs / relative, ignore_errors=True)
        log(f"debootstrap made Debian {SUITE}; importing it as {name}")
        _import(
            client,
            name,
            rootfs,
            [
                "ENV LANG=C.UTF-8",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                f'LABEL {LABEL}="debootstrap {SUITE} minbase + python3"',
                'CMD ["python3"]',
            ],
        )


def _make_uv(client: Any, name: str, log: Callable[[str], None]) -> None:
    version = name.rpartition(":")[2]
    binary = _uv_from_wheel(version)
    log(f"uv {version} from its PyPI wheel ({len(binary) // 1_000_000} MB)")
    _import(client, name, _tar({"uv": (binary, 0o755)}), [f'LABEL {LABEL}="uv {version} wheel"'])


def _uv_from_wheel(version: str) -> bytes:
    """uv's binary from its manylinux x86-64 wheel on PyPI, checked against PyPI's sha256."""
    url = "https://pypi.org/pypi/uv/json"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            release = json.load(response)
        files = [
            f
            for f in release["releases"][version]
            if f["filename"].endswith(".whl")
            and "manylinux" in f["filename"]
            and "x86_64" in f["filename"]
        ]
        wheel = files[0]
        # Mirrors of PyPI's JSON API may give file URLs relative to the page.
        with urllib.request.urlopen(
            urllib.parse.urljoin(url, wheel["url"]), timeout=300
        ) as response:
            data = response.read()
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ImageError(
            f"Cannot fetch uv {version}'s wheel from PyPI ({url}): {exc}. The local uv base "
            f"needs PyPI; check this machine's network (and its CA bundle, SSL_CERT_FILE)."
        ) from exc
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        raise ImageError(f"uv {version}'s wheel from PyPI does not match its sha256; try again.")
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if re.fullmatch(r"[^/]+\.data/scripts/uv", n))
        return archive.read(member)


def _make_beam(client: Any, name: str, log: Callable[[str], None]) -> None:
    version = name.rpartition(":")[2]
    go = shutil.which("go")
    if go is None:
        raise ImageError(
            f"Cannot make the local base {name}: Beam's SDK boot is built with Go, which is not "
            f"on PATH. Install Go (https://go.dev/dl, or `apt-get install golang`) and run "
            f"`headrace image base --beam` again."
        )
    with tempfile.TemporaryDirectory(prefix="headrace-beam-boot-") as tmp:
        env = {**os.environ, "GOBIN": tmp, "CGO_ENABLED": "0"}
        # Beam's Python SDK container boot is the Go package python/container of Beam's Go
        # module: built from the module proxy, at the Beam version of uv.lock.
        module = f"github.com/apache/beam/sdks/v2/python/container@v{version}"
        log(f"go install {module}")
        done = subprocess.run(
            [go, "install", module], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise ImageError(
                f"Building Beam's boot ({module}) failed (exit {done.returncode}):\n"
                f"{done.stderr.strip()[-2000:]}\nCheck that the Go module proxy is reachable."
            )
        boot = (Path(tmp) / "container").read_bytes()
    _import(
        client,
        name,
        _tar({"opt/apache/beam/boot": (boot, 0o755)}),
        [f'LABEL {LABEL}="beam {version} boot (go install)"'],
    )


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, (content, mode) in files.items():
            parts = path.split("/")
            for i in range(1, len(parts)):
                info = tarfile.TarInfo("/".join(parts[:i]))
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
