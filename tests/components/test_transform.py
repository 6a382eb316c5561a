"""Transform through the real local runner: TFT's on-disk layout, the transformed examples,
which splits are analysed and transformed, and the module-file mistakes users make."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

from headrace.components import module_file
from headrace.components.module_file import UserModuleError, load_module_file, load_user_function
from headrace.components.transform import Transform
from headrace.errors import UserCodeError
from headrace.metadata import open_store
from tests.components import _transform_fixtures as fx

FEATURES = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="session")
def penguin_runs(tmp_path_factory):
    return fx.penguin_runs(tmp_path_factory)


def _read(examples_uri, split, spec):
    import tensorflow as tf

    pattern = os.path.join(examples_uri, f"Split-{split}", "*.gz")
    dataset = tf.data.TFRecordDataset(tf.io.gfile.glob(pattern), compression_type="GZIP")
    rows = [tf.io.parse_single_example(record, spec) for record in dataset]
    return {k: np.concatenate([r[k].numpy() for r in rows]) for k in spec}


def test_the_transform_graph_has_tfts_layout(penguin_runs):
    import tensorflow_transform as tft

    graph = fx.output(penguin_runs.first, "Transform", "transform_graph")
    assert {"transform_fn", "transformed_metadata", "metadata"} <= set(os.listdir(graph.uri))
    output = tft.TFTransformOutput(graph.uri)
    assert sorted(output.raw_feature_spec()) == sorted([*FEATURES, "species"])
    assert sorted(output.transformed_feature_spec()) == sorted(
        [f"{f}_xf" for f in FEATURES] + ["species_xf"]
    )


def test_the_transformed_examples_are_z_scores_of_the_train_split(penguin_runs):
    import tensorflow_transform as tft

    graph = fx.output(penguin_runs.first, "Transform", "transform_graph")
    examples = fx.output(penguin_runs.first, "Transform", "transformed_examples")
    assert json.loads(examples.properties["split_names"]) == ["eval", "train"]
    for split in ("train", "eval"):  # committed shards only, no staging directory left
        assert os.listdir(os.path.join(examples.uri, f"Split-{split}")) == [
            "transformed_examples-00000-of-00001.gz"
        ]
    spec = tft.TFTransformOutput(graph.uri).transformed_feature_spec()
    train = _read(examples.uri, "train", spec)
    for feature in FEATURES:
        assert abs(train[f"{feature}_xf"].mean()) < 1e-4
        assert abs(train[f"{feature}_xf"].std() - 1) < 1e-3
    evaluation = _read(examples.uri, "eval", spec)
    assert len(evaluation["species_xf"]) == len(penguin_runs.prepared.eval_rows)
    assert len(train["species_xf"]) + len(evaluation["species_xf"]) == 334


def test_splits_config_custom_config_and_a_dotted_preprocessing_fn(tmp_path, sqlite_url):
    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    transform = Transform(
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        preprocessing_fn="tests.components.modules.transform_variants.scaled_z_scores",
        splits_config={"analyze": ["train", "eval"], "transform": ["eval"]},
        custom_config={"scale": 10.0},
    )
    summary = fx.run(sqlite_url, tmp_path, [examples, schema, transform])
    assert summary.ok, summary.failed
    out = fx.output(summary, "Transform", "transformed_examples")
    assert json.loads(out.properties["split_names"]) == ["eval"]
    assert sorted(os.listdir(out.uri)) == ["Split-eval"]
    import tensorflow as tf

    got = _read(out.uri, "eval", {"body_mass_xf": tf.io.FixedLenFeature([1], tf.float32)})
    # Analysed over both splits: the z-score uses the mean and deviation of all 334 rows.
    every = np.loadtxt(fx.PENGUIN_CSV, delimiter=",", skiprows=1, usecols=4)
    evaluation = np.array([row["body_mass_g"] for row in prepared.eval_rows])
    expected = (evaluation - every.mean()) / every.std() * 10.0
    np.testing.assert_allclose(np.sort(got["body_mass_xf"]), np.sort(expected), atol=1e-3)


def _run_transform(tmp_path, url, **kwargs):
    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    transform = Transform(
        examples=examples.outputs["examples"], schema=schema.outputs["schema"], **kwargs
    )
    summary = fx.run(url, tmp_path, [examples, schema, transform])
    assert not summary.ok
    for execution in open_store(url).run_executions("components", summary.run_id, "Transform"):
        assert execution.state == "FAILED" and execution.outputs == {}
        for port in ("transform_graph", "transformed_examples"):
            uri = os.path.join(tmp_path, "components", "Transform", port, str(execution.id))
            assert not os.path.exists(uri)
    return summary.failed["Transform"]


def test_a_feature_the_schema_does_not_have_names_the_module_line_and_fix(tmp_path, sqlite_url):
    error = _run_transform(
        tmp_path,
        sqlite_url,
        preprocessing_fn="tests.components.modules.bad_module.preprocessing_fn_with_a_typo",
    )
    with pytest.raises(
        UserCodeError,
        match=r"Transform: feature 'body_mass_kg' is not in the schema; module .*bad_module.py, "
        r"line \d+ \(in preprocessing_fn_with_a_typo\): "
        r"`\"body_mass_xf\": tft.scale_to_z_score\(inputs\[\"body_mass_kg\"\]\),`",
    ):
        raise error
    assert "The schema has: body_mass_g, culmen_depth_mm, culmen_length_mm" in str(error)
    assert "Fix the feature name in the module, or add 'body_mass_kg'" in str(error)


def test_a_module_without_preprocessing_fn(tmp_path, sqlite_url):
    error = _run_transform(tmp_path, sqlite_url, module_file=str(fx.MODULES / "bad_module.py"))
    with pytest.raises(
        UserCodeError,
        match=r"'preprocessing_fn' is not defined in module .*bad_module.py\. Define "
        r"`def preprocessing_fn\(...\)` in it",
    ):
        raise error


def test_a_split_the_examples_do_not_have(tmp_path, sqlite_url):
    error = _run_transform(
        tmp_path,
        sqlite_url,
        module_file=str(fx.PENGUIN_MODULE),
        splits_config={"analyze": ["training"]},
    )
    with pytest.raises(
        UserCodeError, match=r"input 'examples' has no split 'training'; it has \['eval', 'train'\]"
    ):
        raise error


@pytest.mark.slow
def test_beam_workers_in_other_processes_get_the_module_files_preprocessing_fn(
    tmp_path, sqlite_url
):
    """TFT re-traces preprocessing_fn in a Beam worker: with multi-processing workers the module
    file's function must travel to another process that never loaded (or saw) the file."""
    import tensorflow_transform as tft

    prepared = fx.prepare("penguin", fx.PENGUIN_CSV, tmp_path / "inputs")
    examples, schema = fx.inputs_nodes(prepared)
    transform = Transform(
        examples=examples.outputs["examples"],
        schema=schema.outputs["schema"],
        module_file=str(fx.PENGUIN_MODULE),
    ).with_beam_args(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    summary = fx.run(sqlite_url, tmp_path, [examples, schema, transform])
    assert summary.ok, summary.failed
    graph = tft.TFTransformOutput(fx.output(summary, "Transform", "transform_graph").uri)
    out = fx.output(summary, "Transform", "transformed_examples")
    train = _read(out.uri, "train", graph.transformed_feature_spec())
    assert abs(train["body_mass_g_xf"].mean()) < 1e-4


def test_a_user_function_pickles_as_source_not_as_a_module_reference(tmp_path):
    path = tmp_path / "user_module.py"
    path.write_text("SCALE = 3\n\ndef preprocessing_fn(x):\n    return x * SCALE\n")
    fn = load_user_function(
        component="Transform",
        function="preprocessing_fn",
        module_file=str(path),
        function_path=None,
    )
    payload = pickle.dumps(fn)
    path.unlink()  # a worker elsewhere has no file ...
    module_file._LOADED.clear()  # ... and has not loaded the module
    assert pickle.loads(payload)(2) == 6


def test_a_module_file_is_loaded_once_per_content(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("VALUE = 1\n")
    first = load_module_file(str(path), component="Transform")
    assert load_module_file(str(path), component="Transform") is first
    path.write_text("VALUE = 2\n")
    assert load_module_file(str(path), component="Transform").VALUE == 2
    with pytest.raises(UserModuleError, match=r"cannot read module file .*nowhere.py"):
        load_module_file(str(tmp_path / "nowhere.py"), component="Transform")


def test_importing_the_components_loads_nothing_heavy():
    """A cached Transform/Trainer/Tuner node, `headrace compile` and pipeline building must not
    pay for TensorFlow: the heavy libraries load only when the executor runs."""
    import subprocess
    import sys

    code = (
        "import sys, headrace.components.transform, headrace.components.trainer, "
        "headrace.components.tuner\n"
        "heavy = [m for m in ('tensorflow', 'apache_beam', 'tensorflow_transform', 'tfx_bsl', "
        "'keras', 'keras_tuner', 'pyarrow') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
