"""TFX's custom-component patterns on a small image folder made here: a FileBasedExampleGen with
a BaseExampleGenExecutor returning a Beam ptransform_fn, and a BaseComponent subclass (SPEC_CLASS,
EXECUTOR_SPEC whose Do runs, DRIVER_CLASS), from a TFX pipeline file found by the loader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from headrace.dsl.loader import import_file, load_pipeline
from headrace.ir import build
from headrace.metadata import open_store
from headrace.runner import LocalRunner

FILE = Path(__file__).parent / "data" / "image_pipeline.py"


def _images(folder: Path) -> None:
    from PIL import Image, ImageDraw

    for label in ("circle", "square"):
        (folder / label).mkdir(parents=True)
        for i in range(6):
            image = Image.new("RGB", (8 + i, 9 + i), "white")
            draw = ImageDraw.Draw(image)
            box = (1, 1, 6 + i, 7 + i)
            (draw.ellipse if label == "circle" else draw.rectangle)(box, fill="#1f77b4")
            image.save(folder / label / f"{label}-{i}.png")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("images")
    _images(base / "data")
    root = base / "root"
    os.environ["IMAGES_ROOT"], os.environ["IMAGES_DATA"] = str(root), str(base / "data")
    # The loader runs the file's main block with LocalDagRunner handing the pipeline back.
    pipeline = load_pipeline(str(FILE))
    assert not root.exists()  # nothing ran while the pipeline was found
    from tfx import v1 as tfx

    first = tfx.orchestration.LocalDagRunner().run(pipeline)
    url = f"sqlite://{root}/metadata.sqlite"
    store = open_store(url)
    cached = LocalRunner(store=store, metadata_url=url).run(build(pipeline), root=str(root))
    # With caching off (TFX's default), each node in its own process, as in a cluster step:
    # the step finds the BaseComponent and the custom executor again from the file.
    module = import_file(str(FILE))  # the module the loader ran (loaded once per process)
    again = module._create_pipeline(str(root), str(base / "data"), enable_cache=False)
    isolated = LocalRunner(store=store, metadata_url=url, isolate=True).run(
        build(again), root=str(root))
    return first, cached, isolated


def test_custom_example_gen_turns_the_images_into_split_examples(runs):
    first, _, _ = runs
    [examples] = first.results["FileBasedExampleGen"].outputs["examples"]
    assert json.loads(examples.properties["split_names"]) == ["train", "eval"]
    rows = json.loads(examples.properties["rows_per_split"])
    assert sum(rows.values()) == 12 and rows["train"] > rows["eval"] > 0
    shards = os.listdir(Path(examples.uri) / "Split-train")
    assert shards and all(s.endswith(".gz") for s in shards)


def test_base_component_executor_do_and_driver_ran(runs):
    first, _, _ = runs
    [report] = first.results["ImageCount"].outputs["report"]
    counts = json.loads((Path(report.uri) / "counts.json").read_text())
    assert set(counts) == {"train", "eval"}
    assert sum(sum(c.values()) for c in counts.values()) == 12
    assert sum(c["circle"] for c in counts.values()) == 6
    assert report.properties["note"] == "resolved by the driver of ImageCount"
    assert report.properties["context_id"] == first.results["ImageCount"].execution_id
    assert json.loads(report.properties["split_names"]) == ["eval", "train"]


def test_second_run_is_cached_and_isolated_steps_load_the_custom_code(runs):
    first, cached, isolated = runs
    assert {r.outcome for r in cached.results.values()} == {"cached"}
    assert isolated.ok, isolated.failed
    assert {r.outcome for r in isolated.results.values()} == {"executed"}
    [before] = first.results["ImageCount"].outputs["report"]
    [after] = isolated.results["ImageCount"].outputs["report"]
    assert (Path(after.uri) / "counts.json").read_text() == (
        Path(before.uri) / "counts.json").read_text()
