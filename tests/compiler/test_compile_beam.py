"""Beam at compile time: runner flags for Flink/Spark, pipeline then node args flag by flag,
validation with the fix, and the worker-pool sidecar."""

from __future__ import annotations

import pytest

from headrace import Pipeline
from headrace.compiler import BeamOptions
from headrace.compiler.beam import runner_args
from headrace.compiler.storage import Root
from headrace.errors import DefinitionError
from headrace.ir import build
from tests.compiler.helpers import compile_doc, env_of, flags, template
from tests.compiler.pipelines import CsvExampleGen, StatisticsGen, penguin

FLINK = BeamOptions(runner="flink", job_endpoint="flink-jobserver.flink:8099",
                    nodes=("StatisticsGen", "Evaluator"))


def _pipeline(pipeline_args=(), node_args=()):
    gen = CsvExampleGen()
    stats = StatisticsGen(examples=gen.outputs["examples"]).with_beam_args(node_args)
    return build(Pipeline(name="b", components=[gen, stats], beam_args=pipeline_args))


def test_direct_runner_passes_the_pipeline_args_overridden_by_the_nodes():
    doc = compile_doc(_pipeline(["--direct_num_workers=4", "--direct_running_mode=in_memory"],
                                ["--direct_num_workers=1"]))
    assert flags(template(doc, "StatisticsGen")["container"], "beam-arg") == [
        "--direct_running_mode=in_memory", "--direct_num_workers=1"]
    assert flags(template(doc, "CsvExampleGen")["container"], "beam-arg") == [
        "--direct_num_workers=4", "--direct_running_mode=in_memory"]


def test_flink_adds_the_portable_runner_flags_and_stages_to_the_pipeline_root():
    doc = compile_doc(penguin(), beam=FLINK)
    assert flags(template(doc, "StatisticsGen")["container"], "beam-arg") == [
        "--runner=PortableRunner",
        "--job_endpoint=flink-jobserver.flink:8099",
        "--environment_type=EXTERNAL",
        "--environment_config=localhost:50000",
        "--artifacts_dir=/mnt/pipelines/_beam_artifacts",
        "--direct_num_workers=2",  # the pipeline's 0, overridden by the node
    ]
    # Nodes not listed as Beam nodes run no Beam job: no Beam arguments at all.
    assert flags(template(doc, "Trainer")["container"], "beam-arg") == []


def test_by_default_only_components_that_run_beam_get_runner_flags_and_sidecars():
    """The IR says which components run Beam (`@component(beam=True)`, as the Beam-based
    standard components declare): only their steps get the flags and a worker pool; the others
    (SchemaGen, Trainer here) stay small. --beam-node still chooses nodes by hand."""
    step = BeamOptions(runner="flink", job_endpoint="localhost:8099", worker_pool="step")
    doc = compile_doc(penguin(), beam=step)
    for node in ("CsvExampleGen", "StatisticsGen", "Evaluator"):
        assert "--runner=PortableRunner" in flags(template(doc, node)["container"], "beam-arg") \
            or node == "Evaluator"  # which sets its own runner (DirectRunner)
        assert "sidecars" in template(doc, node) or node == "Evaluator"
    for node in ("SchemaGen", "Trainer"):
        assert flags(template(doc, node)["container"], "beam-arg") == []
        assert "sidecars" not in template(doc, node)
    ir = penguin()
    assert [n.id for n in ir.nodes if n.beam] == ["CsvExampleGen", "StatisticsGen", "Evaluator"]


def test_the_standard_components_declare_whether_they_run_beam():
    from headrace.components import SchemaGen, StatisticsGen, Trainer, Transform

    runs_beam = {c.spec.name: c.spec.beam for c in (StatisticsGen, Transform, SchemaGen, Trainer)}
    assert runs_beam == {"StatisticsGen": True, "Transform": True, "SchemaGen": False,
                         "Trainer": False}


def test_a_node_may_override_the_runner_flag():
    doc = compile_doc(penguin(), beam=FLINK)
    args = flags(template(doc, "Evaluator")["container"], "beam-arg")
    assert "--runner=DirectRunner" in args and "--runner=PortableRunner" not in args


def test_spark_uses_the_same_portable_path():
    spark = BeamOptions(runner="spark", job_endpoint="spark-jobserver:8099", artifacts_dir="s3://b/a")
    assert runner_args(spark, Root(path="/r")) == (
        "--runner=PortableRunner", "--job_endpoint=spark-jobserver:8099",
        "--environment_type=EXTERNAL", "--environment_config=localhost:50000",
        "--artifacts_dir=s3://b/a")


def test_cluster_worker_pool_adds_no_sidecar_but_step_mode_does():
    assert "sidecars" not in template(compile_doc(penguin(), beam=FLINK), "StatisticsGen")
    step = BeamOptions(runner="flink", job_endpoint="localhost:8099", worker_pool="step",
                       worker_pool_port=50123, nodes=("StatisticsGen", "Evaluator", "Trainer"))
    doc = compile_doc(penguin(), beam=step)
    (sidecar,) = template(doc, "StatisticsGen")["sidecars"]
    assert sidecar["command"] == ["python", "-m", "apache_beam.runners.worker.worker_pool_main"]
    assert sidecar["args"] == ["--service_port=50123"]
    assert sidecar["image"] == template(doc, "StatisticsGen")["container"]["image"]
    assert sidecar["volumeMounts"] == [{"name": "pipeline-root", "mountPath": "/mnt/pipelines"}]
    assert sidecar["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert "--environment_config=localhost:50123" in flags(
        template(doc, "StatisticsGen")["container"], "beam-arg")
    # The GPU trainer's pool gets no GPU and must not see the step's GPUs either.
    (gpu_sidecar,) = template(doc, "Trainer")["sidecars"]
    assert env_of(gpu_sidecar)["NVIDIA_VISIBLE_DEVICES"] == ""
    # A node that switched itself to the DirectRunner needs no pool.
    assert "sidecars" not in template(doc, "Evaluator")


@pytest.mark.parametrize(("pipeline_args", "node_args", "match"), [
    (["--runner", "PortableRunner"], [], r"Pipeline 'b': Beam argument '--runner' is not a "
                                         r"flag|'PortableRunner' is not a flag"),
    ([], ["PortableRunner"], r"Node 'StatisticsGen'.*'PortableRunner' is not a flag; write "
                             r"each one as a single '--flag=value'"),
    (["--runner=PortableRunner"], [], r"PortableRunner needs --job_endpoint=HOST:PORT"),
    (["--runner=PortableRunner", "--job_endpoint=js:8099"], [],
     r"Beam environment DOCKER \(PortableRunner's default\) needs a Docker daemon"),
    (["--runner=PortableRunner", "--job_endpoint=js:8099", "--environment_type=LOOPBACK"], [],
     r"LOOPBACK runs SDK workers inside this step"),
    (["--runner=PortableRunner", "--job_endpoint=js:8099", "--environment_type=EXTERNAL"], [],
     r"EXTERNAL needs --environment_config=HOST:PORT"),
])
def test_beam_mistakes_fail_at_compile_time(pipeline_args, node_args, match):
    with pytest.raises(DefinitionError, match=match):
        compile_doc(_pipeline(pipeline_args, node_args))


def test_staging_outside_shared_storage_is_refused():
    with pytest.raises(DefinitionError, match=r"--artifacts_dir=/tmp/staging is neither under "
                                              r"the pipeline root \(/mnt/pipelines\)"):
        compile_doc(_pipeline([], ["--artifacts_dir=/tmp/staging"]),
                    beam=BeamOptions(runner="flink", job_endpoint="js:8099"))
    doc = compile_doc(_pipeline([], ["--artifacts_dir=gs://bucket/staging"]),
                      beam=BeamOptions(runner="flink", job_endpoint="js:8099"))
    assert "--artifacts_dir=gs://bucket/staging" in flags(
        template(doc, "StatisticsGen")["container"], "beam-arg")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"runner": "flink", "worker_pool": "step"},
     r"with worker pool 'step' needs the job server's endpoint, e.g. --beam-job-endpoint="),
    ({"runner": "flink", "job_endpoint": "http://js:8099"}, r"must be HOST:PORT"),
    ({"runner": "direct", "job_endpoint": "js:8099"}, r"needs runner flink or spark"),
    ({"runner": "dataflow"}, r"is not one of direct, flink, spark"),
    ({"worker_pool": "pod"}, r"must be 'cluster'"),
])
def test_bad_beam_options_fail_when_built(kwargs, match):
    with pytest.raises(DefinitionError, match=match):
        BeamOptions(**kwargs)


def test_unknown_beam_nodes_are_named():
    with pytest.raises(DefinitionError, match=r"Beam nodes \['Transform'\] are not in pipeline"):
        compile_doc(penguin(), beam=BeamOptions(nodes=("Transform",)))
