"""Pusher: blessed models land in `<base>/<version>/` atomically with increasing versions; models
that are not blessed are skipped with the reason; a failure or crash mid-copy leaves no version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from headrace.components.atomic_push import TEMP_PREFIX, next_version, push_directory
from headrace.components.pusher import Pusher, _pusher_component
from headrace.dsl import ExecutionContext
from headrace.errors import DefinitionError
from headrace.types import InfraBlessing, Model, ModelBlessing, PushedModel

REPO = Path(__file__).parents[2]


def fake_model(root: Path, model_id: int = 7, files: int = 3) -> Model:
    """A Model artifact with a SavedModel-shaped `Format-Serving/` (the Pusher only copies)."""
    serving = root / "model" / "Format-Serving"
    (serving / "variables").mkdir(parents=True)
    (serving / "saved_model.pb").write_bytes(b"graph")
    for i in range(files):
        (serving / "variables" / f"variables.data-{i:05d}").write_bytes(os.urandom(1000))
    return Model(str(root / "model"), id=model_id)


def blessing(root: Path, blessed, model_id: int = 7, kind=ModelBlessing, **extra):
    uri = root / f"{kind.__name__}-{blessed}"
    uri.mkdir()
    properties = {"blessed": blessed, "current_model_id": model_id, **extra}
    return kind(str(uri), {k: v for k, v in properties.items() if v is not None})


def push(tmp_path: Path, model: Model, base: Path | str, **blessings) -> PushedModel:
    out = PushedModel(str(tmp_path / f"pushed-{time.monotonic_ns()}"))
    os.makedirs(out.uri)
    destination = Pusher(model=None, push_destination={"filesystem": {"base_directory": str(base)}})
    context = ExecutionContext(
        pipeline="p", pipeline_root=str(tmp_path / "root"), run_id="r", node_id="Pusher",
        execution_id=1, beam_args=(), temp_dir=str(tmp_path / "tmp"),
    )
    _pusher_component.fn(
        model=model,
        pushed_model=out,
        push_destination=destination.arguments["push_destination"],
        context=context,
        model_blessing=blessings.get("model_blessing"),
        infra_blessing=blessings.get("infra_blessing"),
    )
    return out


def versions(base: Path) -> list[int]:
    return sorted(int(n) for n in os.listdir(base) if n.isdigit())


def test_blessed_model_is_pushed_in_tf_serving_layout(tmp_path):
    model, base = fake_model(tmp_path), tmp_path / "serving"
    out = push(tmp_path, model, base, model_blessing=blessing(tmp_path, True))
    version = out.properties["pushed_version"]
    assert out.properties["pushed"] is True
    assert out.properties["pushed_destination"] == str(base / version)
    assert versions(base) == [int(version)]
    assert abs(int(version) - time.time()) < 60  # a Unix timestamp, as TF Serving expects
    pushed = base / version
    assert (pushed / "saved_model.pb").read_bytes() == b"graph"
    assert len(os.listdir(pushed / "variables")) == 3
    assert os.listdir(base) == [version]  # no staging directory left behind
    assert (Path(out.uri) / "saved_model.pb").is_file()  # the artifact keeps a copy, as TFX


def test_a_base_directory_under_the_pipeline_root_follows_the_run_root(tmp_path):
    model = fake_model(tmp_path)
    out = push(tmp_path, model, "{pipeline_root}/serving/m",
               model_blessing=blessing(tmp_path, True))
    version, base = out.properties["pushed_version"], tmp_path / "root" / "serving" / "m"
    assert out.properties["pushed_destination"] == str(base / version)
    assert versions(base) == [int(version)]


def test_versions_increase_even_within_a_second_and_past_a_clock_ahead(tmp_path):
    model, base = fake_model(tmp_path), tmp_path / "serving"
    first = push(tmp_path, model, base, model_blessing=blessing(tmp_path, True))
    (tmp_path / "other").mkdir()
    other = fake_model(tmp_path / "other", model_id=8)
    second = push(tmp_path, other, base)  # no blessing given: pushed, as in TFX
    assert int(second.properties["pushed_version"]) > int(first.properties["pushed_version"])
    future = int(time.time()) + 10_000  # a version from a machine whose clock ran ahead
    (base / str(future)).mkdir()
    assert next_version(str(base)) == future + 1


def test_the_same_model_again_is_not_pushed_twice(tmp_path):
    model, base = fake_model(tmp_path), tmp_path / "serving"
    first = push(tmp_path, model, base, model_blessing=blessing(tmp_path, True))
    again = push(tmp_path, model, base, model_blessing=blessing(tmp_path / "model", True))
    assert versions(base) == [int(first.properties["pushed_version"])]
    assert again.properties["pushed"] is True
    assert again.properties["pushed_version"] == first.properties["pushed_version"]
    version = first.properties["pushed_version"]
    assert again.properties["reason"] == f"not pushed: already pushed as version {version}"


@pytest.mark.parametrize(
    ("which", "by"), [("model_blessing", "Evaluator"), ("infra_blessing", "InfraValidator")]
)
def test_model_that_is_not_blessed_is_skipped_with_the_reason(tmp_path, which, by):
    kind = ModelBlessing if which == "model_blessing" else InfraBlessing
    refused = blessing(tmp_path, False, kind=kind, reason="accuracy on slice species=1: 0.1")
    base = tmp_path / "serving"
    out = push(tmp_path, fake_model(tmp_path), base, **{which: refused})
    assert out.properties == {
        "pushed": False,
        "reason": f"the model was not blessed by the {by}: accuracy on slice species=1: 0.1",
    }
    assert not base.exists() or versions(base) == []
    assert os.listdir(out.uri) == []


def test_blessings_written_by_tfx_are_understood(tmp_path):
    model, base = fake_model(tmp_path), tmp_path / "serving"
    tfx_refused = blessing(tmp_path, 0)  # TFX writes the int 0/1
    assert push(tmp_path, model, base, model_blessing=tfx_refused).properties["pushed"] is False
    marker_only = ModelBlessing(str(tmp_path / "marker"))
    os.makedirs(marker_only.uri)
    Path(marker_only.uri, "BLESSED").touch()
    assert push(tmp_path, model, base, model_blessing=marker_only).properties["pushed"] is True


def test_a_blessing_of_another_model_does_not_push_this_one(tmp_path):
    out = push(
        tmp_path,
        fake_model(tmp_path, model_id=8),
        tmp_path / "serving",
        model_blessing=blessing(tmp_path, True, model_id=7),
    )
    assert out.properties["pushed"] is False
    assert "blessing is for model 7, not for this model (8)" in out.properties["reason"]


def test_failure_mid_copy_leaves_no_version_and_no_staging(tmp_path):
    model, base = fake_model(tmp_path, files=5), tmp_path / "serving"
    copied = []

    def failing_copy(src: str, dst: str) -> None:
        if len(copied) == 3:
            raise OSError(28, "No space left on device")
        copied.append(src)
        import shutil

        shutil.copy2(src, dst)

    source = os.path.join(model.uri, "Format-Serving")
    with pytest.raises(OSError, match="No space left on device"):
        push_directory(source, str(base), copy=failing_copy)
    assert len(copied) == 3
    assert os.listdir(base) == []


def test_a_crash_mid_copy_leaves_nothing_visible(tmp_path):
    """The pushing process is killed (SIGKILL, no clean-up) while copying: the destination has
    no version directory, only a hidden staging directory that TF Serving ignores."""
    model, base = fake_model(tmp_path, files=4), tmp_path / "serving"
    started = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        import shutil, time
        from headrace.components.atomic_push import push_directory
        def slow_copy(src, dst):
            shutil.copy2(src, dst)
            open({str(started)!r}, "w").close()
            time.sleep(60)
        push_directory({os.path.join(model.uri, "Format-Serving")!r}, {str(base)!r},
                       copy=slow_copy)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert child.poll() is None, "the pushing process ended before copying"
            assert time.monotonic() < deadline, "the pushing process never started copying"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    left = os.listdir(base)
    assert versions(base) == []
    assert len(left) == 1 and left[0].startswith(TEMP_PREFIX)
    # The next push is not confused by the leftover and publishes a complete version.
    pushed = push_directory(os.path.join(model.uri, "Format-Serving"), str(base))
    assert versions(base) == [pushed.version]
    assert len(os.listdir(Path(pushed.path) / "variables")) == 4


def test_push_destination_is_checked_when_the_pipeline_is_defined():
    with pytest.raises(DefinitionError, match="must name a filesystem base directory"):
        Pusher(model=None, push_destination={"filesystem": {}})
    with pytest.raises(DefinitionError, match="is a URL; the Pusher writes to a local"):
        Pusher(model=None, push_destination={"filesystem": {"base_directory": "gs://b/m"}})
    with pytest.raises(DefinitionError, match="versioning 'SEMVER' is not supported"):
        Pusher(
            model=None,
            push_destination={"filesystem": {"base_directory": "/s", "versioning": "SEMVER"}},
        )


def test_push_destination_may_be_a_proto():
    from google.protobuf import struct_pb2

    # Any protobuf message converts (TFX's PushDestination is not installed here).
    message = struct_pb2.Struct()
    message.update({"filesystem": {"base_directory": "/serving/penguin"}})
    node = Pusher(model=None, push_destination=message)
    assert node.arguments["push_destination"] == {
        "filesystem": {"base_directory": "/serving/penguin"}
    }
    assert set(node.outputs) == {"pushed_model"}
