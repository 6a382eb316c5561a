"""The docs' page runner: what makes a block fail, run-id mapping, file blocks and validation.
Real commands, cheap ones (`headrace --version`, `headrace compile` of a small pipeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.markdown_blocks import parse_page
from tests.docs.page_runner import BlockFailed, PageRun

PIPELINE = '''
from headrace import Output, Pipeline, component
from headrace.types import Examples


@component
def make(examples: Output[Examples]) -> None:
    """Write nothing."""


pipeline = Pipeline(name="tiny", components=[make()])
'''


def _page(tmp_path: Path, text: str) -> PageRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "page.md"
    source.write_text(text)
    return PageRun.create(list(parse_page(source, "page.md").blocks), tmp_path / "work")


def _run_all(page: PageRun) -> list[str]:
    try:
        return [page.run_through(block) for block in page.blocks]
    finally:
        page.close()


def test_blocks_share_a_namespace_and_see_written_files(tmp_path):
    page = _page(
        tmp_path,
        f"""
<!-- docs-test: file tiny.py -->
```python
{PIPELINE}
```

```python
count = 1
```

```python
import tiny

assert count == 1 and tiny.pipeline.name == "tiny"
```

<!-- docs-test: skip (needs a cluster) -->
```sh
kubectl get pods
```
""",
    )
    assert _run_all(page) == ["ok", "ok", "ok", "skipped"]


def test_a_failing_python_block_fails_and_so_do_the_blocks_after_it(tmp_path):
    page = _page(
        tmp_path, "```python\nraise ValueError('broken on purpose')\n```\n```python\nx = 1\n```\n"
    )
    first, second = page.blocks
    with pytest.raises(BlockFailed, match="broken on purpose"):
        page.run_through(first)
    with pytest.raises(BlockFailed, match=r"page\.md:1 failed"):
        page.run_through(second)
    page.close()


def test_only_headrace_commands_run(tmp_path):
    page = _page(tmp_path, "```sh\nuv run headrace --version\nls -la\n```\n")
    with pytest.raises(BlockFailed, match="'ls -la' is not a headrace command"):
        _run_all(page)


def test_exit_codes_are_checked(tmp_path):
    page = _page(tmp_path, "```sh\nheadrace runs show nope --root nowhere\n```\n")
    with pytest.raises(BlockFailed, match="exited 2, expected 0"):
        _run_all(page)
    page = _page(
        tmp_path / "again",
        "<!-- docs-test: exit 2 -->\n```sh\nheadrace runs show nope --root nowhere\n```\n",
    )
    assert _run_all(page) == ["ok"]


def test_a_run_id_stands_for_the_latest_run_the_page_made(tmp_path):
    page = _page(
        tmp_path,
        f"""
<!-- docs-test: file tiny.py -->
```python
{PIPELINE}
```

```sh
headrace run tiny.py
headrace runs show tiny-20250101-120000-abc123
```
""",
    )
    assert _run_all(page) == ["ok", "ok"]
    [made] = page.made_runs
    assert page.run_ids == {"tiny-20250101-120000-abc123": made}


def test_compiled_workflows_are_validated_and_outputs_must_exist(tmp_path):
    page = _page(
        tmp_path,
        f"""
<!-- docs-test: file tiny.py -->
```python
{PIPELINE}
```

```sh
headrace compile tiny.py -o wf.yaml --image example/headrace:1
```
""",
    )
    assert _run_all(page) == ["ok", "ok"]
    assert "kind: Workflow" in (tmp_path / "work" / "wf.yaml").read_text()


def test_a_kustomization_that_does_not_render_fails(tmp_path):
    page = _page(
        tmp_path,
        """
<!-- docs-test: file mine/kustomization.yaml -->
```yaml
resources:
  - ../manifests/overlays/nowhere
```
""",
    )
    with pytest.raises(BlockFailed, match="kustomization does not render"):
        _run_all(page)
