"""The code blocks of docs/*.md (and README.md's python blocks) run, so the docs stay true.

What runs, page by page, in order, in a fresh working directory per page that holds a copy of
examples/ and manifests/ (so `headrace run examples/penguin/pipeline.py` works as written):

- ```python blocks: executed in one Python process per page, in order, sharing one namespace
  (a tutorial builds on its earlier blocks), with the page's directory as the current one.
- ```sh / ```console blocks: every command must be `headrace ...` or `uv run headrace ...`
  (console: the `$ ` lines); it runs for real with this environment's Python and must exit 0.
  A run id in a command (`penguin-20250101-120000-abc123`) stands for the latest run a
  `headrace run` of the page made when that id first appears, and for the same run afterwards.
  After `headrace compile ... -o FILE` the file is validated against Argo's JSON schemas and
  Workflow CRD (with `--format kfp`: by KFP's protos and the kfp SDK's loader).
- Other blocks (```text output, ```yaml, ...) are shown text, unless a marker says otherwise.

Markers: an HTML comment right before a block (blank lines between are fine), invisible on the
rendered page:

- `<!-- docs-test: skip (REASON) -->` the block cannot run here (a Kubernetes cluster, Docker);
  the test reports it as skipped with REASON. A skip marker without a reason is an error.
- `<!-- docs-test: file PATH -->` the block is the content of PATH (relative to the page's
  working directory): the first such block writes it, later ones with the same PATH append. A
  `kustomization.yaml` written this way must render.
- `<!-- docs-test: exit CODE -->` the block's single command must exit with CODE (a failure
  the page shows on purpose).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.markdown_blocks import Block, Page, parse_page
from tests.docs.page_runner import REPO, PageRun, runnable

DOCS = REPO / "docs"
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in DOCS.glob("*.md"))]
EXPECTED_PAGES = {
    "docs/tutorial.md",
    "docs/concepts.md",
    "docs/custom_components.md",
    "docs/kubeflow.md",
    "docs/migrating_from_tfx.md",
}


def _parsed() -> dict[str, Page]:
    return {name: parse_page(REPO / name, name) for name in PAGES}


def _blocks() -> list[Block]:
    found = []
    for name, page in _parsed().items():
        # README's commands are its own set-up steps (the whole test suite, a kind cluster);
        # only its python blocks are run here.
        found += [
            b
            for b in page.blocks
            if runnable(b) and (name != "README.md" or b.language == "python")
        ]
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageRun]]:
    runs: dict[str, PageRun] = {}

    class Lazy(dict[str, PageRun]):
        def __missing__(self, name: str) -> PageRun:
            workdir = tmp_path_factory.mktemp(Path(name).stem)
            blocks = [b for b in BLOCKS if b.page == name]
            self[name] = runs[name] = PageRun.create(blocks, workdir)
            return self[name]

    yield Lazy()
    for run in runs.values():
        run.close()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where}-{b.language}" for b in BLOCKS])
def test_block(block: Block, pages: dict[str, PageRun]) -> None:
    if pages[block.page].run_through(block) == "skipped":
        assert block.marker is not None
        pytest.skip(f"{block.where}: {block.marker.value}")


def test_markers_are_well_formed() -> None:
    problems = [p for page in _parsed().values() for p in page.problems]
    assert not problems, "\n".join(problems)


def test_the_docs_exist_and_the_readme_links_them() -> None:
    assert set(PAGES) >= EXPECTED_PAGES
    readme = (REPO / "README.md").read_text()
    for page in sorted(EXPECTED_PAGES):
        assert f"]({page})" in readme, f"README.md does not link {page}"


def test_relative_links_resolve() -> None:
    broken = []
    for name in PAGES:
        page = REPO / name
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            path = target.split("#", 1)[0]
            if not path or re.match(r"[a-z]+:", path):
                continue  # an anchor on the same page, or a URL
            if not (page.parent / path).exists():
                broken.append(f"{name}: {target}")
    assert not broken, broken
