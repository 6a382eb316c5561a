"""Executing a container component locally: its placeholders resolved against one execution's
artifacts, its image run through Docker (or, in development mode, its command run as a process
on this machine), and the output properties it wrote read back. The container counterpart of
executor.py; in a cluster the same resolution runs in the node's driver step (entrypoint).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from headrace.dsl.container import parameter_text, render
from headrace.errors import DefinitionError, ExecutionError, UserCodeError
from headrace.ir import NodeIR
from headrace.types.artifact import Artifact

Artifacts = Mapping[str, list[Artifact]]

CONTAINERS_ENV = "HEADRACE_CONTAINERS"
MODES = ("auto", "docker", "process")
_TAIL = 3000


def image_of(node: NodeIR) -> str:
    """The image a container node runs: `.with_image(...)` if set, else its component's."""
    assert node.container is not None
    return node.image or node.container.image


def properties_path(root: str, pipeline: str, node_id: str, execution_id: int) -> str:
    """Where OutputPropertiesPath() points for one execution: under the pipeline root, so a
    container in another pod (or under Docker, with the root mounted) writes where the
    publisher reads. Not inside an output directory, which must hold only the output."""
    return os.path.join(root, pipeline, node_id, ".output-properties", f"{execution_id}.json")


def resolve(
    node: NodeIR,
    parameters: Mapping[str, Any],
    inputs: Artifacts,
    outputs: Artifacts,
    properties_file: str,
) -> tuple[list[str], list[str]]:
    """The command and args with every placeholder replaced for this execution."""
    assert node.container is not None

    def value(kind: str, name: str | None) -> str:
        if kind == "input_uri":
            return inputs[name or ""][0].uri
        if kind == "output_uri":
            return outputs[name or ""][0].uri
        if kind == "parameter":
            return parameter_text(parameters[name or ""])
        return properties_file

    return (
        [render(item, value) for item in node.container.command],
        [render(item, value) for item in node.container.args],
    )


def read_output_properties(node: NodeIR, path: str, outputs: Artifacts) -> None:
    """Set the properties the container wrote to `path` (if it wrote the file) on its outputs."""
    if not os.path.exists(path):
        return
    where = f"Node {node.id!r}: the output properties file {path}"
    try:
        with open(path) as f:
            written = json.load(f)
    except (OSError, ValueError) as exc:
        raise UserCodeError(f"{where} is not JSON ({exc}).") from exc
    if not isinstance(written, dict) or not all(isinstance(v, dict) for v in written.values()):
        raise UserCodeError(
            f'{where} must hold {{"<output>": {{"<property>": value}}}}, got {written!r:.200}.'
        )
    unknown = sorted(set(written) - set(outputs))
    if unknown:
        raise UserCodeError(
            f"{where} names outputs {unknown}; the node's outputs are {sorted(outputs)}."
        )
    for port, properties in written.items():
        outputs[port][0].properties.update(properties)


class ContainerRunner(Protocol):
    """Runs one resolved command in a node's image; raises UserCodeError if it fails. Returns
    False if it only handed the command on (a cluster's driver step: a later step runs it)."""

    def run(
        self, node: NodeIR, command: list[str], args: list[str], root: str, inputs: Artifacts
    ) -> bool: ...


@dataclass(frozen=True, kw_only=True)
class ProcessRunner:
    """Development mode: the command runs on this machine (not in the image), with the same
    resolved arguments a container would get. The program must be installed here."""

    def run(
        self, node: NodeIR, command: list[str], args: list[str], root: str, inputs: Artifacts
    ) -> bool:
        try:
            done = subprocess.run([*command, *args], capture_output=True, text=True, check=False)
        except OSError as exc:
            raise ExecutionError(
                f"Node {node.id!r}: cannot start {command[0]!r} on this machine ({exc.strerror}). "
                f"Process mode runs the container's command outside its image "
                f"({image_of(node)}), so the program must be installed here; or run the image "
                f"with Docker (--containers=docker)."
            ) from exc
        _finished(node, "process", done.returncode, done.stdout, done.stderr)
        return True


@dataclass(frozen=True, kw_only=True)
class DockerRunner:
    """The node's image run by the Docker engine, the pipeline root mounted at the same path so
    that every URI means the same inside and outside, as the user running Headrace."""

    client: Any  # docker.DockerClient

    def run(
        self, node: NodeIR, command: list[str], args: list[str], root: str, inputs: Artifacts
    ) -> bool:
        import docker.errors

        kwargs = docker_run_arguments(
            node, command, args, root, inputs, user=f"{os.getuid()}:{os.getgid()}"
        )
        image = kwargs.pop("image")
        try:
            try:
                self.client.images.get(image)
            except docker.errors.ImageNotFound:
                self.client.images.pull(image)
            container = self.client.containers.run(image, **kwargs)
            try:
                code = container.wait()["StatusCode"]
                out = container.logs(stdout=True, stderr=False).decode(errors="replace")
                err = container.logs(stdout=False, stderr=True).decode(errors="replace")
            finally:
                container.remove(force=True)
        except docker.errors.DockerException as exc:
            raise ExecutionError(f"Node {node.id!r}: Docker could not run {image}: {exc}") from exc
        _finished(node, f"container {image}", code, out, err)
        return True


def docker_run_arguments(
    node: NodeIR, command: list[str], args: list[str], root: str, inputs: Artifacts, *, user: str
) -> dict[str, Any]:
    """The docker SDK's `containers.run` arguments for one execution (image included)."""
    root = os.path.abspath(root)
    volumes = {root: {"bind": root, "mode": "rw"}}
    for artifacts in inputs.values():
        for a in artifacts:  # a cached input may come from a run with another root
            if not os.path.abspath(a.uri).startswith(root + os.sep):
                volumes[a.uri] = {"bind": a.uri, "mode": "ro"}
    kwargs: dict[str, Any] = {
        "image": image_of(node),
        # Kubernetes' meaning of command/args: command replaces the image's ENTRYPOINT.
        "entrypoint": command,
        "command": args,
        "volumes": volumes,
        "user": user,
        "environment": {"HEADRACE_NODE": node.id},
        "detach": True,
    }
    if node.resources.gpu:
        # CPU and memory are the cluster's business; without GPUs a GPU image cannot work.
        kwargs["device_requests"] = [{"count": node.resources.gpu, "capabilities": [["gpu"]]}]
    return kwargs


def _finished(node: NodeIR, what: str, code: int, out: str, err: str) -> None:
    # Shown like a function component's prints; kept in the error when the command failed.
    sys.stdout.write(out)
    sys.stderr.write(err)
    if code != 0:
        raise UserCodeError(
            f"Node {node.id!r} ({node.component}): the {what} exited with code {code}; its "
            f"stderr ends:\n{err[-_TAIL:] or '(empty)'}",
            err,
        )


def runner_for(node: NodeIR, mode: str | None = None) -> ContainerRunner:
    """How this machine runs container nodes: `mode`, else $HEADRACE_CONTAINERS, else auto
    (Docker if an engine answers). Raised before anything is recorded when neither works."""
    mode = mode or os.environ.get(CONTAINERS_ENV) or "auto"
    if mode not in MODES:
        raise DefinitionError(f"{CONTAINERS_ENV}={mode!r} is not one of {', '.join(MODES)}.")
    if mode == "process":
        return ProcessRunner()
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:  # no SDK, no socket, engine not running: all mean "no Docker"
        raise ExecutionError(
            f"Node {node.id!r} is a container component (image {image_of(node)}) and no Docker "
            f"engine answers ({type(exc).__name__}: {exc}). Start Docker (or point DOCKER_HOST "
            f"at one), or run its command as a process on this machine with "
            f"`headrace run --containers=process` (or {CONTAINERS_ENV}=process)."
        ) from exc
    return DockerRunner(client=client)


def execute(
    node: NodeIR,
    runner: ContainerRunner,
    parameters: Mapping[str, Any],
    inputs: Artifacts,
    outputs: Artifacts,
    *,
    root: str,
    properties_file: str,
) -> bool:
    """Resolve, run and read back one execution of a container node; False if the runner
    handed the command on instead of running it."""
    command, args = resolve(node, parameters, inputs, outputs, properties_file)
    os.makedirs(os.path.dirname(properties_file), exist_ok=True)
    if not runner.run(node, command, args, root, inputs):
        return False
    read_output_properties(node, properties_file, outputs)
    with contextlib.suppress(OSError):
        os.remove(properties_file)  # recorded on the outputs from now on
    return True
