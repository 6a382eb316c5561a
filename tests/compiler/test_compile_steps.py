"""Each node becomes a container step with its own resources, placement, env and storage."""

from __future__ import annotations

import pytest

from headrace import Pipeline
from headrace.compiler import CompileOptions, SecretRef, cluster
from headrace.errors import DefinitionError
from headrace.ir import build
from tests.compiler.helpers import BASE, compile_doc, env_of, flags, node_templates, template
from tests.compiler.pipelines import CsvExampleGen, StatisticsGen, penguin


def _one(**resources):
    node = CsvExampleGen().with_resources(**resources) if resources else CsvExampleGen()
    return build(Pipeline(name="one", components=[node]))


def test_every_step_gets_requests_and_limits_with_defaults():
    c = template(compile_doc(_one()), "CsvExampleGen")["container"]
    assert c["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"},
                              "limits": {"cpu": "1", "memory": "2Gi"}}


def test_limits_default_to_requests_and_a_lone_limit_caps_the_default_request():
    c = template(compile_doc(_one(cpu="3", memory_limit="1Gi")), "CsvExampleGen")["container"]
    assert c["resources"] == {"requests": {"cpu": "3", "memory": "1Gi"},
                              "limits": {"cpu": "3", "memory": "1Gi"}}


def test_a_limit_below_its_request_is_a_definition_error():
    with pytest.raises(DefinitionError, match=r"'CsvExampleGen'.*memory limit 1Gi is below its "
                                              r"request 4Gi"):
        compile_doc(_one(memory="4Gi", memory_limit="1Gi"))


def test_gpu_steps_get_vendor_limits_selector_tolerations_and_the_gpu_image():
    doc = compile_doc(penguin(), gpu_image="registry.example.com/headrace-gpu:1.0")
    trainer = template(doc, "Trainer")
    c = trainer["container"]
    assert c["image"] == "registry.example.com/headrace-gpu:1.0"
    assert c["resources"]["limits"] == {"cpu": "4", "memory": "20Gi", "nvidia.com/gpu": "2"}
    assert "nvidia.com/gpu" not in c["resources"]["requests"]
    assert trainer["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}
    assert trainer["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    ]
    assert "NVIDIA_VISIBLE_DEVICES" not in env_of(c)


def test_cpu_steps_hide_the_nodes_gpus_and_use_the_cpu_image():
    doc = compile_doc(penguin(), gpu_image="registry.example.com/headrace-gpu:1.0")
    c = template(doc, "SchemaGen")["container"]
    assert env_of(c)["NVIDIA_VISIBLE_DEVICES"] == ""
    assert c["image"] == BASE.image
    assert "nodeSelector" not in template(doc, "SchemaGen")


def test_another_gpu_vendor_uses_its_own_resource_key():
    c = template(compile_doc(_one(gpu=1, gpu_vendor="amd.com/gpu")), "CsvExampleGen")
    assert c["container"]["resources"]["limits"]["amd.com/gpu"] == "1"
    assert c["tolerations"][-1]["key"] == "amd.com/gpu"


def test_a_node_image_overrides_the_pipeline_images():
    assert template(compile_doc(penguin()), "Evaluator")["container"]["image"] == \
        "registry.example.com/headrace-eval:1.0"


def test_a_missing_image_says_how_to_set_one():
    with pytest.raises(DefinitionError, match=r"'CsvExampleGen'.*no container image; pass "
                                              r"--image=IMAGE"):
        compile_doc(_one(), image=None)


def test_a_toleration_with_an_unknown_field_is_rejected():
    with pytest.raises(DefinitionError, match=r"toleration #1 has unknown fields \['kye'\]"):
        compile_doc(_one(tolerations=[{"kye": "x"}]))


def test_the_pipeline_root_pvc_is_mounted_in_every_step_at_the_root_path():
    doc = compile_doc(penguin())
    assert doc["spec"]["volumes"] == [
        {"name": "pipeline-root", "persistentVolumeClaim": {"claimName": "headrace-root"}}]
    for t in node_templates(doc):
        assert t["container"]["volumeMounts"] == [
            {"name": "pipeline-root", "mountPath": "/mnt/pipelines"}]
        assert flags(t["container"], "root") == ["/mnt/pipelines"]


def test_an_object_store_root_needs_no_volume():
    doc = compile_doc(penguin(), pipeline_root="gs://bucket/pipelines/", root_volume_claim=None)
    assert "volumes" not in doc["spec"]
    assert flags(template(doc, "Trainer")["container"], "root") == ["gs://bucket/pipelines"]


@pytest.mark.parametrize(("changes", "match"), [
    ({"pipeline_root": "relative/root"}, r"relative path, which means nothing inside a container"),
    ({"root_volume_claim": None}, r"name the PersistentVolumeClaim with --root-pvc=CLAIM"),
    ({"pipeline_root": "s3://b/p"}, r"object-store URI; a PVC \('headrace-root'\) only"),
    ({"metadata": "sqlite:///tmp/m.sqlite"}, r"SQLite file; pods on different machines"),
    ({"metadata": "mysql://mlmd:hunter2@mysql:3306/db"}, r"holds a password.*Secret "
                                                         r"headrace-mysql/password"),
    ({"metadata": "mysql://mysql:3306/db"}, r"must name a user and a database"),
    ({"metadata": "postgres://u@h/db"}, r"Unsupported metadata URL"),
])
def test_storage_mistakes_are_definition_errors_with_the_fix(changes, match):
    with pytest.raises(DefinitionError, match=match):
        compile_doc(penguin(), **changes)


def test_with_no_root_or_metadata_anywhere_the_base_manifests_serve():
    ir = build(Pipeline(name="bare", components=[CsvExampleGen()]))
    doc = compile_doc(ir, CompileOptions(image="i"))
    c = template(doc, "CsvExampleGen")["container"]
    assert flags(c, "root") == [cluster.PIPELINE_ROOT]
    assert flags(c, "metadata") == [cluster.METADATA_URL]
    assert doc["spec"]["volumes"] == [{"name": "pipeline-root", "persistentVolumeClaim": {
        "claimName": cluster.PIPELINE_ROOT_CLAIM}}]


def test_a_local_ir_root_and_sqlite_metadata_give_way_to_the_cluster_ones():
    ir = build(Pipeline(name="p", components=[CsvExampleGen()], pipeline_root="/home/me/root",
                        metadata="sqlite:///home/me/root/metadata.sqlite"))
    c = template(compile_doc(ir, CompileOptions(image="i")), "CsvExampleGen")["container"]
    assert flags(c, "root") == [cluster.PIPELINE_ROOT]
    assert flags(c, "metadata") == [cluster.METADATA_URL]


def test_the_ir_root_and_metadata_serve_when_no_option_overrides_them():
    ir = build(Pipeline(name="p", components=[CsvExampleGen()], pipeline_root="gs://b/r",
                        metadata="grpc://metadata-grpc-service.kubeflow:8080"))
    c = template(compile_doc(ir, CompileOptions(image="i")), "CsvExampleGen")["container"]
    assert flags(c, "root") == ["gs://b/r"]
    assert flags(c, "metadata") == ["grpc://metadata-grpc-service.kubeflow:8080"]
    assert "HEADRACE_MYSQL_PASSWORD" not in env_of(c)


def test_mysql_password_and_extra_secrets_travel_only_as_references():
    options = BASE.override(
        mysql_password_secret=SecretRef.parse("mlmd-db/pw"),
        secret_env={"AWS_SECRET_ACCESS_KEY": SecretRef(name="s3", key="secret")},
        env={"AWS_REGION": "eu-west-1"},
    )
    env = env_of(template(compile_doc(penguin(), options), "Trainer")["container"])
    assert env["HEADRACE_MYSQL_PASSWORD"] == {"secretKeyRef": {"name": "mlmd-db", "key": "pw"}}
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "s3", "key": "secret"}}
    assert env["AWS_REGION"] == "eu-west-1"


@pytest.mark.parametrize(("changes", "match"), [
    ({"namespace": "Kube_Flow"}, r"namespace 'Kube_Flow' is not a Kubernetes name"),
    ({"default_cpu": "lots"}, r"default_cpu='lots' is not a Kubernetes quantity"),
    ({"retry_backoff": "soon"}, r"retry_backoff='soon' is not a duration"),
    ({"step_timeout_seconds": 0}, r"step_timeout_seconds=0 must be a positive"),
    ({"env": {"1BAD": "x"}}, r"Environment variable name '1BAD'"),
    ({"ui_metadata_path": "ui.json"}, r"must be an absolute path"),
])
def test_bad_options_fail_when_built(changes, match):
    with pytest.raises(DefinitionError, match=match):
        CompileOptions(**changes)


def test_secret_references_parse_from_a_flag_value():
    assert SecretRef.parse("mysql:password") == SecretRef(name="mysql", key="password")
    with pytest.raises(DefinitionError, match=r"must look like NAME/KEY"):
        SecretRef.parse("mysql")


def test_a_step_depends_on_exactly_its_upstream_nodes():
    gen = CsvExampleGen()
    a = StatisticsGen(examples=gen.outputs["examples"]).with_id("stats_a")
    b = StatisticsGen(examples=gen.outputs["examples"]).with_id("stats_b")
    doc = compile_doc(build(Pipeline(name="fan", components=[b, a, gen])))
    tasks = {t["name"]: t for t in doc["spec"]["templates"][0]["dag"]["tasks"]}
    assert "dependencies" not in tasks["csv-example-gen"]
    assert tasks["stats-a"]["dependencies"] == ["csv-example-gen"]
    assert tasks["stats-b"]["dependencies"] == ["csv-example-gen"]


def test_override_skips_flags_not_given_and_reaches_into_the_beam_options():
    options = BASE.override(image=None, namespace="ml", beam_runner="flink",
                            beam_job_endpoint="flink:8099", beam_worker_pool=None)
    assert options.image == BASE.image and options.namespace == "ml"
    assert (options.beam.runner, options.beam.job_endpoint) == ("flink", "flink:8099")
    assert BASE.override(beam_runner="spark").beam.endpoint == cluster.JOB_ENDPOINTS["spark"]
    with pytest.raises(DefinitionError, match=r"needs the job server's endpoint"):
        BASE.override(beam_runner="spark", beam_worker_pool="step")
