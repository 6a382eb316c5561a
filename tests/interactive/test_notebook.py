"""examples/penguin/interactive.ipynb executed headlessly (nbclient) in a fresh kernel on this
virtualenv's Python: every cell runs; its outputs show the Facets statistics of both splits, the
schema, the anomalies and the evaluation; ML Metadata holds the seven components' executions; and
in the same kernel an edited module file is picked up when the Trainer runs again."""

from __future__ import annotations

import base64
import csv
import html
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell
from tensorflow_metadata.proto.v0 import statistics_pb2

from headrace.metadata import open_store

EXAMPLE = Path(__file__).parents[2] / "examples" / "penguin"
NOTEBOOK = EXAMPLE / "interactive.ipynb"
KERNEL = "headrace-notebook-test"
PIPELINE = "penguin-interactive"
NODES = (
    "CsvExampleGen",
    "StatisticsGen",
    "SchemaGen",
    "ExampleValidator",
    "Transform",
    "Trainer",
    "Evaluator",
)
FEATURES = {"culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g", "species"}
# Appended to the module file copy after the notebook ran: run_fn also leaves a marker.
EDIT = """

_unedited_run_fn = run_fn


def run_fn(fn_args):
    _unedited_run_fn(fn_args)
    with open(fn_args.serving_model_dir + "/../edited.txt", "w") as f:
        f.write("the edited run_fn ran")
"""
# Run in the notebook's kernel after its own cells: edit the module file and run again.
AFTER_EDIT = """
with open(MODULE_FILE, "a") as f:
    f.write(EDIT)
again = {"Trainer": context.run(trainer), "StatisticsGen": context.run(statistics_gen)}
first_uri = {k: r.outputs[next(iter(r.outputs))][0].uri for k, r in again.items()}
print(json.dumps({k: [r.outcome, first_uri[k]] for k, r in again.items()}))
"""


@dataclass(frozen=True)
class Executed:
    cells: list  # the notebook's code cells, executed (the injected and appended ones excluded)
    root: Path
    seconds: float
    after_edit: dict  # node -> [outcome, uri of its first output] when run again after the edit

    def html_of(self, source_fragment: str) -> list[str]:
        """The HTML outputs of the code cell whose source contains `source_fragment`."""
        [cell] = [c for c in self.cells if source_fragment in c.source]
        return [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Executed:
    root = tmp_path_factory.mktemp("notebook-root")
    kernels = tmp_path_factory.mktemp("kernels")
    # A kernelspec of our own, so the kernel is this virtualenv's Python whatever kernels are
    # installed on the machine; the pipeline root reaches the notebook through its environment.
    (kernels / KERNEL).mkdir()
    (kernels / KERNEL / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Headrace test",
                "language": "python",
                "env": {"HEADRACE_NOTEBOOK_ROOT": str(root)},
            }
        )
    )
    module_copy = root / "penguin_utils.py"  # edited below; the example's file stays as it is
    shutil.copy(EXAMPLE / "penguin_utils.py", module_copy)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    own_cells = [c for c in notebook.cells if c.cell_type == "code"]
    # After the parameters cell (as papermill injects parameters): the module file copy.
    notebook.cells.insert(2, new_code_cell(f"MODULE_FILE = {str(module_copy)!r}"))
    notebook.cells.append(new_code_cell(f"import json\nEDIT = {EDIT!r}\n{AFTER_EDIT}"))
    km = AsyncKernelManager(
        kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    client = NotebookClient(
        notebook, km=km, timeout=600, resources={"metadata": {"path": str(EXAMPLE)}}
    )
    started = time.monotonic()
    client.execute()
    seconds = time.monotonic() - started
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    after_edit = json.loads(printed.strip().splitlines()[-1])
    return Executed(cells=own_cells, root=root, seconds=seconds, after_edit=after_edit)


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_every_component_ran_and_is_recorded(executed):
    shown = [
        o["data"]["text/html"]
        for c in executed.cells
        for o in c.outputs
        if "headrace-execution-result" in o.get("data", {}).get("text/html", "")
    ]
    assert [re.search(r"<b>(\w+)</b>", h)[1] for h in shown] == list(NODES)
    assert all("executed in" in h for h in shown)
    store = open_store(f"sqlite://{executed.root}/metadata.sqlite")
    first_run = store.list_runs(PIPELINE)[-1]  # the edit below started a second run
    recorded = store.run_executions(PIPELINE, first_run.run_id)
    assert [(e.node_id, e.state) for e in recorded] == [(n, "COMPLETE") for n in NODES]
    uris = [a.uri for e in recorded for arts in e.outputs.values() for a in arts]
    assert uris and all(u.startswith(f"{executed.root}/{PIPELINE}/") for u in uris)


def test_statistics_show_facets_for_train_and_eval(executed):
    views = executed.html_of('context.show(statistics_gen.outputs["statistics"])')
    facets = [v for v in views if "<facets-overview" in v]
    with open(EXAMPLE / "data" / "penguins_processed.csv") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    examples = {}
    for view in facets:
        encoded = re.search(r'proto-input="([^"]+)"', view)[1]
        statistics = statistics_pb2.DatasetFeatureStatisticsList.FromString(
            base64.b64decode(encoded)
        )
        [dataset] = statistics.datasets
        assert {f.path.step[0] if f.path.step else f.name for f in dataset.features} == FEATURES
        examples[dataset.name] = dataset.num_examples
    assert set(examples) == {"train", "eval"} and sum(examples.values()) == rows
    assert any("Split train" in v and "Split eval" in v for v in views)  # the table view too


def test_schema_table_lists_the_penguin_features(executed):
    [view] = executed.html_of('context.show(schema_gen.outputs["schema"])')
    assert "<table" in view
    listed = set(re.findall(r"<tr><td>(\w+)</td>", view))
    assert listed == FEATURES


def test_anomalies_table_has_each_split(executed):
    [view] = executed.html_of('context.show(example_validator.outputs["anomalies"])')
    assert "Split train" in view and "Split eval" in view
    assert view.count("No anomalies") == 2


def test_evaluation_shows_metrics_per_slice_with_a_plot(executed):
    [view] = executed.html_of('context.show(evaluator.outputs["evaluation"])')
    rows = dict(re.findall(r'<tr><td>([^<]+)</td><td class="num">([^<]+)</td>', view))
    assert {"Overall", "species=0", "species=1", "species=2"} <= set(rows)
    assert 0.6 <= float(rows["Overall"]) <= 1  # the notebook's threshold blessed the model
    assert "sparse_categorical_accuracy" in view and "<svg" in view
    [blessing] = executed.html_of('context.show(evaluator.outputs["blessing"])')
    assert "Blessed" in html.unescape(blessing)


def test_an_edited_module_file_is_picked_up_in_the_kernel(executed):
    trainer_outcome, model_uri = executed.after_edit["Trainer"]
    assert trainer_outcome == "executed"
    assert (Path(model_uri) / "edited.txt").read_text() == "the edited run_fn ran"
    store = open_store(f"sqlite://{executed.root}/metadata.sqlite")
    first = store.run_executions(PIPELINE, store.list_runs(PIPELINE)[-1].run_id, "Trainer")
    assert not (Path(first[0].outputs["model"][0].uri) / "edited.txt").exists()
    assert executed.after_edit["StatisticsGen"][0] == "cached"


def test_notebook_time(executed):
    # Kernel start, TensorFlow import and the seven components on 334 rows (and the edit).
    print(f"notebook executed in {executed.seconds:.1f} s")
    assert executed.seconds < 180
