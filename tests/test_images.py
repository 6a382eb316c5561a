"""Container images: content-hash tags over the Docker build context, the names `compile`
defaults to (from a checkout, inside an image, from a wheel), the Dockerfile's pins, and
`headrace image build` with and without a Docker engine."""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from headrace import images
from headrace.cli import main
from headrace.errors import ImageError

REPO = Path(__file__).resolve().parent.parent
DEMO = str(REPO / "tests" / "support" / "demo_pipeline.py")


@pytest.fixture(autouse=True)
def _no_image_record(monkeypatch, tmp_path):
    """Tests run as if outside a Headrace image, whatever machine they run on."""
    monkeypatch.setenv(images.RECORD_ENV, str(tmp_path / "no-record.json"))
    monkeypatch.delenv(images.REPOSITORY_ENV, raising=False)


def _tree(root: Path) -> Path:
    """A minimal build context: the real .dockerignore and Dockerfile, a package, a lock."""
    (root / "images").mkdir(parents=True)
    shutil.copy(REPO / ".dockerignore", root / ".dockerignore")
    shutil.copy(REPO / images.DOCKERFILE, root / images.DOCKERFILE)
    (root / "pyproject.toml").write_text("[project]\nname = 'headrace'\n")
    (root / "uv.lock").write_text("version = 1\n")
    (root / "headrace").mkdir()
    (root / "headrace" / "step.py").write_text("x = 1\n")
    return root


def test_tag_follows_the_sources_not_ignored_files(tmp_path):
    root = _tree(tmp_path / "repo")
    cpu = images.VARIANTS["cpu"]
    first = images.tag(root, cpu)
    assert re.fullmatch(r"[0-9a-f]{12}", first)

    for ignored in (
        ".venv/lib/python3.11/site-packages/x.py",
        ".git/HEAD",
        "headrace/__pycache__/step.cpython-311.pyc",
        ".pytest_cache/v/cache",
        ".hypothesis/examples/a",
        "headrace-root/demo/metadata.sqlite",
        "examples/penguin/headrace-root/x",
        ".ruff_cache/0.6/a",
    ):
        (root / ignored).parent.mkdir(parents=True, exist_ok=True)
        (root / ignored).write_text("anything")
    assert images.tag(root, cpu) == first

    (root / "headrace" / "step.py").write_text("x = 2\n")
    assert images.tag(root, cpu) != first
    (root / "headrace" / "step.py").write_text("x = 1\n")
    assert images.tag(root, cpu) == first
    (root / "headrace" / "new.py").write_text("")
    assert images.tag(root, cpu) != first
    (root / "headrace" / "new.py").unlink()
    (root / "headrace" / "step.py").chmod(0o755)  # COPY keeps modes: part of the image
    assert images.tag(root, cpu) != first
    (root / "headrace" / "step.py").chmod(0o644)

    # Each variant (target, build args) has its own tag over the same context.
    tags = {images.tag(root, v) for v in images.VARIANTS.values()}
    assert first in tags and len(tags) == len(images.VARIANTS) == 4
    names = images.names_for(root, "registry.example.com/ml")
    assert (
        names["gpu"]
        == f"registry.example.com/ml/headrace-gpu:{images.tag(root, images.VARIANTS['gpu'])}"
    )


def test_the_hashed_files_are_what_docker_receives_and_the_context_stays_small():
    from docker.utils.build import tar

    root = images.source_tree()
    assert root == REPO
    files = images.context_files(root)
    # What the docker SDK would send to the engine for this Dockerfile (APIClient.build).
    archive = tar(
        str(root), exclude=images.ignore_patterns(root), dockerfile=(images.DOCKERFILE, None)
    )
    with tarfile.open(fileobj=archive) as sent:
        sent_files = sorted(m.name for m in sent.getmembers() if not m.isdir())
    assert files == sent_files

    assert {
        "images/Dockerfile",
        ".dockerignore",
        "uv.lock",
        "pyproject.toml",
        "README.md",
        "headrace/cli.py",
        "examples/penguin/pipeline.py",
    } <= set(files)
    assert any(f.startswith("examples/penguin/data/") for f in files)
    for excluded in (
        ".venv/",
        ".git/",
        ".pytest_cache/",
        ".hypothesis/",
        ".ruff_cache/",
        "headrace-root/",
    ):
        assert not any(f.startswith(excluded) for f in files), excluded
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
    total = sum((root / f).stat().st_size for f in files)
    assert len(files) < 1500 and total < 25 * 2**20, (len(files), total)


def test_image_name_prints_the_names_and_honours_the_repository(monkeypatch):
    runner = CliRunner()
    cpu = runner.invoke(main, ["image", "name"])
    assert cpu.exit_code == 0, cpu.output
    assert cpu.output.strip() == images.image_name("cpu")
    assert re.fullmatch(r"headrace/headrace:[0-9a-f]{12}", cpu.output.strip())
    gpu = runner.invoke(main, ["image", "name", "--gpu", "--repository", "reg.example.com/ml/"])
    assert re.fullmatch(r"reg\.example\.com/ml/headrace-gpu:[0-9a-f]{12}", gpu.output.strip())
    monkeypatch.setenv(images.REPOSITORY_ENV, "reg.example.com/team")
    beam = runner.invoke(main, ["image", "name", "--beam"])
    assert beam.output.strip().startswith("reg.example.com/team/headrace-beam:")
    both = runner.invoke(main, ["image", "name", "--gpu", "--beam"])
    assert both.exit_code == 2 and "Choose one of --gpu, --gpu-wheels and --beam" in both.stderr
    wheels = runner.invoke(main, ["image", "name", "--gpu-wheels"])
    assert wheels.output.strip().startswith("reg.example.com/team/headrace-gpu-wheels:")


def _gpu_pipeline(tmp_path: Path) -> str:
    path = tmp_path / "gpu_pipeline.py"
    path.write_text(
        f"exec(open({DEMO!r}).read())\n"
        "def create_pipeline():\n"
        "    p = produce()\n"
        "    c = count(examples=p.outputs['examples']).with_resources(gpu=1)\n"
        "    return Pipeline(name='gpu-demo', components=[p, c])\n"
    )
    return str(path)


def _images_of(yaml_text: str) -> dict[str, str]:
    doc = yaml.safe_load(yaml_text)
    return {
        t["name"]: t["container"]["image"]
        for t in doc["spec"]["templates"]
        # The nodes' steps: the run step and the exit handler take the CPU image whatever runs.
        if "container" in t and t["name"] not in ("headrace-run", "headrace-exit-handler")
    }


def _compile(pipeline: str, *flags: str):
    return CliRunner().invoke(main, ["compile", pipeline, "-o", "-", *flags])


def test_compile_defaults_to_the_names_image_build_gives(tmp_path):
    runner = CliRunner()
    cpu = runner.invoke(main, ["image", "name"]).output.strip()
    gpu = runner.invoke(main, ["image", "name", "--gpu"]).output.strip()
    compiled = _compile(_gpu_pipeline(tmp_path))
    assert compiled.exit_code == 0, compiled.output
    assert sorted(_images_of(compiled.stdout).values()) == sorted([cpu, gpu])
    again = _compile(_gpu_pipeline(tmp_path))
    assert again.stdout == compiled.stdout  # byte-identical for the same input

    explicit = _compile(_gpu_pipeline(tmp_path), "--image", "reg.example.com/mine:1")
    assert set(_images_of(explicit.stdout).values()) == {"reg.example.com/mine:1"}


def test_inside_an_image_the_recorded_names_win(tmp_path, monkeypatch):
    """A build records the names it computed; `compile` in that image yields the same ones as the
    checkout did, even after files are written to /app (which would change a live hash)."""
    root = images.source_tree()
    names = images.names_for(root, "reg.example.com/ml")
    record = tmp_path / "images.json"
    record.write_text(json.dumps(images.record(names, "reg.example.com/ml")))
    monkeypatch.setenv(images.RECORD_ENV, str(record))
    monkeypatch.setattr(images, "source_tree", lambda: None)  # no hashing possible, nor needed
    assert {k: images.image_name(k) for k in images.VARIANTS} == names
    assert images.image_name("cpu", "other.example.com") == (
        f"other.example.com/headrace:{names['cpu'].rpartition(':')[2]}"
    )
    compiled = _compile(_gpu_pipeline(tmp_path))
    assert sorted(_images_of(compiled.stdout).values()) == sorted([names["cpu"], names["gpu"]])

    record.write_text("{}")
    with pytest.raises(ImageError, match=r"holds no `tags`"):
        images.image_name("cpu")


def test_without_sources_or_record_compile_asks_for_an_image(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "source_tree", lambda: None)  # as if installed from a wheel
    result = _compile(DEMO)
    assert result.exit_code == 2
    assert "No default container image" in result.stderr and "--image=IMAGE" in result.stderr
    assert _compile(DEMO, "--image", "reg.example.com/mine:1").exit_code == 0
    name = CliRunner().invoke(main, ["image", "name"])
    assert name.exit_code == 2 and "installed without its source tree" in name.stderr
    with pytest.raises(ImageError, match="needs a Headrace source checkout"):
        images.build("cpu")


# -- the Dockerfile --------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    assert not pending, "a continuation line never ends"
    return out


def test_dockerfile_pins_python_beam_cuda_and_installs_the_lock():
    instructions = _instructions((REPO / images.DOCKERFILE).read_text())
    args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", args["BASE_IMAGE"])
    assert re.fullmatch(
        r"nvidia/cuda:12\.\d+\.\d+-cudnn8-runtime-ubuntu22\.04", args["GPU_BASE_IMAGE"]
    )
    lock = (REPO / "uv.lock").read_text()
    beam = re.search(r'name = "apache-beam"\nversion = "([^"]+)"', lock).group(1)
    assert args["BEAM_SDK_IMAGE"] == f"apache/beam_python3.11_sdk:{beam}" and beam == "2.61.0"
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", args["UV_IMAGE"])
    assert 'requires-python = "==3.11.*"' in lock

    stages = [a.split() for i, a in instructions if i == "FROM"]
    assert [s[-1] for s in stages] == [
        "uv", "deps", "project", "headrace", "beam-sdk", "beam", "cuda-wheels", "gpu-wheels"]
    assert all(s[0].startswith("${") or s[0] in ("headrace", "deps") for s in stages)  # pinned
    # The classic builder builds every stage before the target: only what `headrace` needs.
    body = " ".join(f"{i} {a}" for i, a in instructions)
    wheels_stage = body.split("AS cuda-wheels", 1)[1].split("FROM ", 1)[0]
    assert "tensorflow[and-cuda]==$tf" in wheels_stage  # the lock's TensorFlow, its own pins
    deps_stage = body.split("AS deps", 1)[1].split("FROM ", 1)[0]
    # g++ and Python's headers come before the dependency layer (pyfarmhash builds from source)
    assert (
        deps_stage.index("g++")
        < deps_stage.index("python3.11-dev")
        < deps_stage.index("uv sync --frozen --no-dev --no-install-project")
    )
    assert "COPY pyproject.toml uv.lock" in deps_stage
    project_stage = body.split("AS project", 1)[1].split("FROM ", 1)[0]
    assert "COPY . /app" in project_stage and "uv sync --frozen --no-dev " in project_stage
    headrace_stage = body.split("AS headrace", 1)[1].split("FROM ", 1)[0]
    # The image gets the virtualenv, never the build tools or the build machine's CA bundle.
    assert headrace_stage.index("COPY --from=deps /opt/venv") < headrace_stage.index(
        "COPY --from=project /app /app"
    )
    assert "apt-get" not in headrace_stage and images.BUILD_CA not in headrace_stage
    assert "WORKDIR /app" in headrace_stage and "TF_USE_LEGACY_KERAS=1" in headrace_stage
    assert "PATH=/opt/venv/bin:$PATH" in headrace_stage
    assert "/etc/headrace/images.json" in headrace_stage and images.RECORD_PATH in headrace_stage
    beam_stage = body.split("FROM headrace AS beam", 1)[1]
    assert "COPY --from=beam-sdk /opt/apache/beam /opt/apache/beam" in beam_stage
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in beam_stage
    assert "RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1" in beam_stage
    # No BuildKit-only syntax: the docker SDK builds with the classic builder.
    assert "--mount=" not in body and "<<" not in body and "--link" not in body
    assert images.build_args(REPO, images.VARIANTS["gpu"]) == {"BASE_IMAGE": args["GPU_BASE_IMAGE"]}


# -- building --------------------------------------------------------------------------------


def test_build_without_a_docker_engine_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    result = CliRunner().invoke(main, ["image", "build"])
    assert result.exit_code == 2
    assert "Cannot reach a Docker engine" in result.stderr
    assert "needs a running Docker engine" in result.stderr and "DOCKER_HOST" in result.stderr
    assert "Traceback" not in result.output


class _FakeAPI:
    def __init__(self, chunks):
        self.chunks, self.calls = chunks, []

    def build(self, **kwargs):
        self.calls.append(kwargs)
        yield from self.chunks


class _FakeClient:
    def __init__(self, chunks, push_chunks=()):
        self.api = _FakeAPI(chunks)
        self.push_chunks, self.pushed = list(push_chunks), []
        self.images = self

    def push(self, repository, tag, stream, decode):
        self.pushed.append(f"{repository}:{tag}")
        return iter(self.push_chunks)


def test_build_streams_the_log_records_the_names_and_reports_failures(monkeypatch):
    client = _FakeClient(
        [
            {"stream": "Step 1/9 : FROM uv\n"},
            {"aux": {"ID": "sha256:abc"}},
            {"stream": "Successfully built abc\n"},
        ],
        push_chunks=[{"status": "Pushed", "progressDetail": {}}],
    )
    monkeypatch.setattr(images, "_client", lambda: client)
    lines: list[str] = []
    built = images.build(
        "gpu", repo="reg.example.com/ml", push=True, base="official", log=lines.append
    )
    assert built.name == images.image_name("gpu", "reg.example.com/ml") and built.pushed
    assert built.image_id == "sha256:abc" and client.pushed == [built.name]
    assert "Step 1/9 : FROM uv" in lines
    call = client.api.calls[0]
    assert call["custom_context"] and call["dockerfile"] == "images/Dockerfile"
    assert call["network_mode"] == "host"  # registries are reached only over the host network
    with tarfile.open(fileobj=call["fileobj"]) as sent:
        names = set(sent.getnames())
    assert names - {images.BUILD_CA} == set(images.context_files(REPO))
    assert call["target"] == "headrace" and call["tag"] == built.name
    assert call["buildargs"]["BASE_IMAGE"].startswith("nvidia/cuda:12.")
    recorded = json.loads(call["buildargs"]["HEADRACE_IMAGES"])
    assert recorded == images.record(
        images.names_for(REPO, "reg.example.com/ml"), "reg.example.com/ml"
    )

    failing = _FakeClient(
        [
            {"stream": "Step 5/9 : RUN uv sync --frozen\n"},
            {"error": "exit code 2", "errorDetail": {"message": "exit code 2"}},
        ]
    )
    monkeypatch.setattr(images, "_client", lambda: failing)
    with pytest.raises(ImageError, match=r"(?s)headrace-beam:.* failed: exit code 2.*uv sync"):
        images.build("beam", base="official", log=lambda _: None)

    denied = _FakeClient([], push_chunks=[{"error": "denied: requested access"}])
    monkeypatch.setattr(images, "_client", lambda: denied)
    with pytest.raises(ImageError, match=r"Pushing .* failed: denied.*docker login"):
        images.build("cpu", push=True, base="official", log=lambda _: None)


def _docker_or_skip():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker engine reachable (DOCKER_HOST or /var/run/docker.sock): {exc}")
    return client


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_real_cpu_image_imports_headrace_and_names_itself():
    client = _docker_or_skip()
    result = CliRunner().invoke(main, ["image", "build"])
    assert result.exit_code == 0, result.output
    name = images.image_name("cpu")
    assert name in result.output
    out = client.containers.run(name, ["python", "-c", "import headrace; print('ok')"], remove=True)
    assert out.strip() == b"ok"
    # Inside the image, `image name` (so `compile`'s default) is the name it was built as.
    inside = client.containers.run(name, ["headrace", "image", "name"], remove=True)
    assert inside.decode().strip() == name
    logs = io.StringIO(client.containers.run(name, ["ls", "/app/examples"], remove=True).decode())
    assert "penguin" in logs.getvalue()
