"""Loading a pipeline file: a module-level `pipeline` or `create_pipeline()`, clear errors else."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from headrace.dsl import Output, Pipeline, component
from headrace.dsl.loader import import_file, load_pipeline, module_name_for
from headrace.errors import PipelineFileError
from headrace.types import Examples

HEADER = """
from headrace import Output, Parameter, Pipeline, component
from headrace.types import Examples

@component
def gen(examples: Output[Examples], rows: Parameter[int] = 10) -> None:
    '''Generate.'''
"""


@pytest.fixture
def write(tmp_path):
    """Write a pipeline file; forget the modules and sys.path entries it added afterwards."""
    written = []
    path_before = list(sys.path)

    def write(stem: str, body: str) -> str:
        path = tmp_path / f"{stem}.py"
        path.write_text(textwrap.dedent(HEADER) + textwrap.dedent(body))
        written.append(str(path))
        return str(path)

    yield write
    for path in written:
        sys.modules.pop(module_name_for(path), None)
    sys.path[:] = path_before


def test_module_level_pipeline(write):
    path = write("module_level", "pipeline = Pipeline(name='p1', components=[gen(rows=3)])\n")
    found = load_pipeline(path)
    assert isinstance(found, Pipeline)
    assert found.name == "p1"
    assert found.nodes[0].parameters == {"rows": 3}


def test_create_pipeline_function(write):
    path = write(
        "factory",
        """
        def create_pipeline():
            return Pipeline(name="p2", components=[gen()])
    """,
    )
    assert load_pipeline(path).name == "p2"


def test_file_with_neither_says_what_to_add(write):
    path = write("nothing", "x = 1\n")
    with pytest.raises(
        PipelineFileError,
        match=rf"{path} defines no pipeline: give it a module-level `pipeline = Pipeline\(...\)`, "
        rf"a function `create_pipeline\(\)` that returns one, or \(as TFX files do\) an `if "
        rf"__name__ == '__main__':` block that passes one to a runner's run\(\)",
    ):
        load_pipeline(path)


def test_a_tfx_file_main_block_hands_its_pipeline_over_without_running_it(write, tmp_path):
    marker = tmp_path / "ran-after-run"
    path = write("tfx_style", f"""
import sys
from tfx import v1 as tfx

def _create_pipeline(name):
    return tfx.dsl.Pipeline(pipeline_name=name, pipeline_root={str(tmp_path / "root")!r},
                            components=[])

if __name__ == "__main__":
    argv = list(sys.argv)
    try:
        tfx.orchestration.LocalDagRunner().run(_create_pipeline("from_main"))
    except Exception:
        pass  # a main block's own error handling must not swallow the hand-over
    open({str(marker)!r}, "w").write(repr(argv))
""")
    argv = list(sys.argv)
    found = load_pipeline(path)
    assert found.name == "from_main"
    assert not marker.exists() and not (tmp_path / "root").exists()  # nothing ran
    assert sys.argv == argv
    # Outside the loader the same runner really runs (here: an empty pipeline).
    from tfx import v1 as tfx

    summary = tfx.orchestration.LocalDagRunner().run(found)
    assert summary.ok and summary.results == {}


def test_pipeline_of_the_wrong_type_is_named(write):
    path = write("wrong_type", "pipeline = 'not a pipeline'\n")
    with pytest.raises(PipelineFileError, match=r"defines no pipeline.*its `pipeline` is a str"):
        load_pipeline(path)


def test_missing_file(tmp_path):
    missing = tmp_path / "absent.py"
    with pytest.raises(PipelineFileError, match=rf"No such file: {missing} \(relative paths"):
        load_pipeline(str(missing))


def test_components_defined_in_a_loaded_file_record_the_file(write):
    path = write("records_file", "pipeline = Pipeline(name='p3', components=[gen()])\n")
    node = load_pipeline(path).nodes[0]
    ref = node.component.spec.executor
    assert ref.file == os.path.abspath(path)
    assert ref.module == module_name_for(path) == "_headrace_records_file"
    assert ref.qualname == "gen"
    assert node.defined_at == f"{path}:{len(textwrap.dedent(HEADER).splitlines()) + 1}"


def test_importable_components_record_no_file():
    # Defined in this test module, which is imported by name: no file to load it from.
    @component
    def local(examples: Output[Examples]) -> None:
        pass

    assert local.spec.executor.file is None


def test_a_file_is_imported_once_and_can_import_its_siblings(write, tmp_path):
    (tmp_path / "loader_sibling_helper.py").write_text("ROWS = 42\n")
    path = write(
        "with_sibling",
        """
        import loader_sibling_helper
        pipeline = Pipeline(name="p4", components=[gen(rows=loader_sibling_helper.ROWS)])
    """,
    )
    try:
        first = import_file(path)
        assert import_file(path) is first
        assert load_pipeline(path) is first.pipeline
        assert first.pipeline.nodes[0].parameters == {"rows": 42}
    finally:
        sys.modules.pop("loader_sibling_helper", None)


def test_a_file_that_fails_to_import_is_not_left_half_loaded(write):
    path = write("raises", "raise RuntimeError('broken pipeline file')\n")
    with pytest.raises(RuntimeError, match="broken pipeline file"):
        load_pipeline(path)
    assert module_name_for(path) not in sys.modules


def test_module_name_is_a_valid_identifier():
    assert module_name_for("/x/my-pipeline.v2.py") == "_headrace_my_pipeline_v2"
