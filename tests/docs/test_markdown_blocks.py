"""The docs' block parser: fences, markers, and the mistakes in markers it must catch."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.markdown_blocks import Marker, commands, parse_marker, parse_page


def _page(tmp_path: Path, text: str):
    path = tmp_path / "page.md"
    path.write_text(text)
    return parse_page(path, "page.md")


def test_blocks_with_their_markers_and_indentation(tmp_path):
    page = _page(
        tmp_path,
        """\
Intro.

<!-- docs-test: skip (needs a Kubernetes cluster) -->

```sh
kubectl apply -k manifests/base
```

1. In a list:
   ```python
   x = 1
       y = 2
   ```

<!-- docs-test: file my_pipeline.py -->
```python
import os
```
""",
    )
    assert not page.problems
    skip, listed, file = page.blocks
    assert skip.marker == Marker(kind="skip", value="needs a Kubernetes cluster")
    assert (skip.language, skip.line) == ("sh", 5)
    assert listed.marker is None and listed.text == "x = 1\n    y = 2\n"
    assert file.marker == Marker(kind="file", value="my_pipeline.py")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("skip", "needs its reason"),
        ("skip ()", "needs its reason"),
        ("skip (  )", "needs its reason"),
        ("skip needs a cluster", "needs its reason"),
        ("file", "relative path"),
        ("file /etc/passwd", "relative path"),
        ("file ../out.py", "relative path"),
        ("exit one", "exit code"),
        ("ignore (why)", "unknown marker"),
    ],
)
def test_malformed_markers_are_refused(body, match):
    with pytest.raises(ValueError, match=match):
        parse_marker(body)


def test_a_skip_marker_without_reason_is_a_problem_of_the_page(tmp_path):
    page = _page(tmp_path, "<!-- docs-test: skip -->\n```sh\nheadrace image build\n```\n")
    assert page.problems == (
        "page.md:1: a skip marker needs its reason in parentheses, e.g. "
        "<!-- docs-test: skip (needs a Kubernetes cluster) -->",
    )
    assert page.blocks[0].marker is None  # so the block is not silently skipped


def test_a_marker_must_stand_right_before_a_block(tmp_path):
    page = _page(
        tmp_path,
        "<!-- docs-test: skip (why) -->\nSome prose.\n\n```sh\nx\n```\n"
        "<!-- docs-test: exit 1 -->\n",
    )
    assert page.problems == (
        "page.md:1: marker is not followed by a code block",
        "page.md:7: marker is not followed by a code block",
    )


def test_commands_join_continuations_and_drop_comments_output_and_prompts(tmp_path):
    page = _page(
        tmp_path,
        """\
```sh
# a comment
headrace run a.py   # trailing comment stays for shlex
headrace compile a.py -o wf.yaml \\
    --beam-runner flink
```

```console
$ headrace runs list
run id   pipeline
$ uv run headrace runs show x
```
""",
    )
    sh, console = page.blocks
    assert commands(sh) == [
        "headrace run a.py   # trailing comment stays for shlex",
        "headrace compile a.py -o wf.yaml      --beam-runner flink",
    ]
    assert commands(console) == ["headrace runs list", "uv run headrace runs show x"]
