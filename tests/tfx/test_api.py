"""Every name of the TFX API that headrace.tfx covers is constructed here, through `import tfx`
(served by the finder, TFX not being installed), and what each becomes is checked in the IR;
names it does not cover fail at import or construction with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tfx import v1 as tfxv1
from tfx.dsl.component.experimental.annotations import OutputArtifact as LegacyOutput
from tfx.dsl.component.experimental.decorators import component as legacy_component

from headrace.errors import DefinitionError, TfxNotProvided
from headrace.ir import build

REPO = Path(__file__).resolve().parents[2]
DATA = str(REPO / "examples" / "penguin" / "data")
MODULE = str(REPO / "examples" / "penguin" / "penguin_utils.py")


@pytest.fixture(scope="module")
def tfx():
    from tfx import v1 as tfx

    return tfx


def _params(pipeline, node_id):
    ir = build(pipeline)
    [node] = [n for n in ir.nodes if n.id == node_id]
    return {p.name: p.value for p in node.parameters}


def _pipeline(tfx, *components, **kwargs):
    return tfx.dsl.Pipeline(pipeline_name="names", pipeline_root="/tmp/names",
                            components=list(components), **kwargs)


def test_tfx_is_headraces_layer_and_one_module_under_both_names(tfx):
    import tfx as top

    import headrace.tfx
    import headrace.tfx.v1.components

    assert top is headrace.tfx and top.__version__.startswith("1.")
    assert tfx.components is headrace.tfx.v1.components
    from tfx.components import CsvExampleGen as legacy

    assert legacy is tfx.components.CsvExampleGen


def test_example_gens_take_tfx_protos(tfx):
    gen = tfx.components.CsvExampleGen(
        input_base=DATA,
        input_config=tfx.proto.Input(splits=[tfx.proto.Input.Split(name="all", pattern="*.csv")]),
        output_config=tfx.proto.Output(split_config=tfx.proto.SplitConfig(splits=[
            tfx.proto.SplitConfig.Split(name="train", hash_buckets=3),
            tfx.proto.SplitConfig.Split(name="test", hash_buckets=1)])),
        range_config=tfx.proto.RangeConfig(
            static_range=tfx.proto.StaticRange(start_span_number=0, end_span_number=0)),
    )
    assert set(gen.outputs) == {"examples"}
    params = _params(_pipeline(tfx, gen), "CsvExampleGen")
    assert params["hash_buckets"] == [["train", 3], ["test", 1]]
    assert params["input_pattern"] == "*.csv" and params["span_range"] == [0, 0]
    imported = tfx.components.ImportExampleGen(input_base=DATA)
    assert imported.id == "ImportExampleGen" and set(imported.outputs) == {"examples"}


def test_every_standard_component_with_tfx_arguments_and_output_keys(tfx):
    gen = tfx.components.CsvExampleGen(input_base=DATA)
    stats = tfx.components.StatisticsGen(examples=gen.outputs["examples"])
    schema = tfx.components.SchemaGen(statistics=stats.outputs["statistics"],
                                      infer_feature_shape=True)
    imported_schema = tfx.components.ImportSchemaGen(
        schema_file=str(REPO / "tests" / "tfx" / "data" / "schema.pbtxt"))
    validator = tfx.components.ExampleValidator(statistics=stats.outputs["statistics"],
                                                schema=schema.outputs["schema"])
    transform = tfx.components.Transform(
        examples=gen.outputs["examples"], schema=schema.outputs["schema"], module_file=MODULE,
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "eval"]))
    tuner = tfx.components.Tuner(
        module_file=MODULE, examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        train_args=tfx.proto.TrainArgs(num_steps=5), eval_args=tfx.proto.EvalArgs(num_steps=2),
        tune_args=tfx.proto.TuneArgs(num_parallel_trials=1))
    trainer = tfx.components.Trainer(
        module_file=MODULE, examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
        hyperparameters=tuner.outputs["best_hyperparameters"],
        train_args=tfx.proto.TrainArgs(num_steps=100, splits=["train"]),
        eval_args=tfx.proto.EvalArgs(num_steps=5))
    resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=gen.outputs["examples"], model=trainer.outputs["model"],
        baseline_model=resolver.outputs["model"],
        eval_config={"model_specs": [{"label_key": "species"}]})
    infra = tfx.components.InfraValidator(
        model=trainer.outputs["model"], examples=gen.outputs["examples"],
        serving_spec=tfx.proto.ServingSpec(
            tensorflow_serving=tfx.proto.TensorFlowServing(tags=["latest"]),
            local_docker=tfx.proto.LocalDockerConfig()),
        validation_spec=tfx.proto.ValidationSpec(max_loading_time_seconds=60, num_tries=3),
        request_spec=tfx.proto.RequestSpec(
            tensorflow_serving=tfx.proto.TensorFlowServingRequestSpec(
                signature_names=["serving_default"]), num_examples=2))
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
        infra_blessing=infra.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory="/serving")))
    inferrer = tfx.components.BulkInferrer(
        examples=gen.outputs["examples"], model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        data_spec=tfx.proto.DataSpec(example_splits=["eval"]),
        model_spec=tfx.proto.ModelSpec(model_signature_name=["serving_default"]))
    # TFX's output keys.
    assert set(transform.outputs) >= {"transform_graph", "transformed_examples"}
    assert set(trainer.outputs) == {"model", "model_run"}
    assert set(tuner.outputs) == {"best_hyperparameters"}
    assert set(evaluator.outputs) == {"evaluation", "blessing"}
    assert set(infra.outputs) == {"blessing"} and set(pusher.outputs) == {"pushed_model"}
    assert set(inferrer.outputs) == {"inference_result"}
    assert set(validator.outputs) == {"anomalies"} and set(stats.outputs) == {"statistics"}
    assert set(imported_schema.outputs) == {"schema"}
    pipeline = _pipeline(tfx, gen, stats, schema, imported_schema, validator, transform, tuner,
                         trainer, resolver, evaluator, infra, pusher, inferrer)
    ir = build(pipeline)
    params = {n.id: {p.name: p.value for p in n.parameters} for n in ir.nodes}
    # Protos reached the IR as their dicts, with TFX's field names.
    assert params["Trainer"]["train_args"] == {"num_steps": 100, "splits": ["train"]}
    assert params["Tuner"]["eval_args"] == {"num_steps": 2}
    assert params["Transform"]["splits_config"] == {"analyze": ["train"],
                                                    "transform": ["train", "eval"]}
    assert params["Pusher"]["push_destination"] == {"filesystem": {"base_directory": "/serving"}}
    assert params["InfraValidator"]["validation_spec"] == {"max_loading_time_seconds": 60,
                                                           "num_tries": 3}
    assert params["BulkInferrer"]["data_spec"] == {"example_splits": ["eval"]}
    assert ir.enable_cache is False  # TFX's default: caching only with enable_cache=True
    wired = {i.name: i.source_node for i in
             next(n for n in ir.nodes if n.id == "Evaluator").inputs}
    assert wired["baseline_model"] == "latest_blessed_model_resolver"


def test_tfma_eval_config_reaches_the_evaluator_as_its_dict(tfx):
    import tensorflow_model_analysis as tfma

    gen = tfx.components.CsvExampleGen(input_base=DATA)
    model = tfx.dsl.Importer(source_uri=DATA, artifact_type=tfx.types.standard_artifacts.Model)
    config = tfma.EvalConfig(model_specs=[tfma.ModelSpec(label_key="species")],
                             slicing_specs=[tfma.SlicingSpec(feature_keys=["island"])])
    evaluator = tfx.components.Evaluator(examples=gen.outputs["examples"],
                                         model=model.outputs["result"], eval_config=config)
    params = _params(_pipeline(tfx, gen, model, evaluator), "Evaluator")
    assert params["eval_config"]["slicing_specs"] == [{"feature_keys": ["island"]}]


def test_dsl_names(tfx, tmp_path):
    from headrace.dsl import Pipeline, RuntimeParameter

    steps = tfx.dsl.experimental.RuntimeParameter(name="train-steps", ptype=int, default=7)
    assert isinstance(steps, RuntimeParameter)
    gen = tfx.components.CsvExampleGen(input_base=DATA)
    trainer = tfx.components.Trainer(module_file=MODULE, examples=gen.outputs["examples"],
                                     train_args={"num_steps": 1})
    schema = tfx.dsl.Importer(source_uri=str(REPO / "tests" / "tfx" / "data" / "schema.pbtxt"),
                              artifact_type=tfx.types.standard_artifacts.Schema,
                              properties={"origin": "hand-written"}).with_id("schema_importer")
    latest = tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestArtifactStrategy,
                              examples=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Examples))
    spans = tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.SpanRangeStrategy,
                             config={"start_span": 0, "end_span": 2},
                             examples=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Examples)
                             ).with_id("spans")
    pipeline = tfx.dsl.Pipeline(
        pipeline_name="dsl_names", pipeline_root=str(tmp_path), components=[gen, trainer, schema,
                                                                           latest, spans],
        enable_cache=True, beam_pipeline_args=["--direct_num_workers=1"],
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(tmp_path / "m.db")))
    assert isinstance(pipeline, Pipeline)
    ir = build(pipeline)
    assert ir.metadata == f"sqlite://{tmp_path}/m.db" and ir.enable_cache
    assert ir.beam_args == ("--direct_num_workers=1",)
    assert {n.id for n in ir.nodes} == {"CsvExampleGen", "Trainer", "schema_importer", "Resolver",
                                        "spans"}
    assert [n.outputs[0].name for n in ir.nodes if n.id == "schema_importer"] == ["result"]


def test_runtime_parameter_becomes_a_run_parameter(tfx):
    gen = tfx.components.CsvExampleGen(input_base=DATA)
    stats = tfx.components.StatisticsGen(examples=gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(
        statistics=stats.outputs["statistics"],
        infer_feature_shape=tfx.dsl.experimental.RuntimeParameter(
            name="infer-shape", ptype=bool, default=False))
    ir = build(_pipeline(tfx, gen, stats, schema_gen))
    [runtime] = ir.runtime_parameters
    assert runtime.name == "infer-shape" and runtime.default is False


@tfxv1.dsl.components.component
def MyTrainer(
    examples: tfxv1.dsl.components.InputArtifact[tfxv1.types.standard_artifacts.Examples],
    model: tfxv1.dsl.components.OutputArtifact[tfxv1.types.standard_artifacts.Model],
    num_steps: tfxv1.dsl.components.Parameter[int] = 10,
) -> None:
    """Trains (annotations as TFX's docs write them)."""


@legacy_component
def MyCounter(model: LegacyOutput[tfxv1.types.standard_artifacts.Model]) -> None:
    pass


def test_function_component_with_tfx_annotations(tfx):
    gen = tfx.components.CsvExampleGen(input_base=DATA)
    node = MyTrainer(examples=gen.outputs["examples"], num_steps=3)
    assert node.id == "MyTrainer" and set(node.outputs) == {"model"}
    assert _params(_pipeline(tfx, gen, node, MyCounter()), "MyTrainer") == {"num_steps": 3}
    with pytest.raises(TfxNotProvided, match=r"use_beam=True\) is not provided"):
        tfx.dsl.components.component(use_beam=True)


def test_standard_artifacts_are_headraces_types(tfx):
    from tfx.types import standard_artifacts as legacy

    import headrace.types as types

    names = ["Examples", "ExampleStatistics", "ExampleAnomalies", "Schema", "TransformGraph",
             "TransformCache", "Model", "ModelRun", "ModelEvaluation", "ModelBlessing",
             "PushedModel", "HyperParameters", "InferenceResult", "InfraBlessing"]
    for name in names:
        cls = getattr(tfx.types.standard_artifacts, name)
        assert cls is getattr(types, name) is getattr(legacy, name)
        assert name == cls().TYPE_NAME


def test_metadata_connection_configs(tfx, monkeypatch):
    from headrace.metadata.connection_configs import url_of
    from headrace.metadata.urls import PASSWORD_ENV

    sqlite = tfx.orchestration.metadata.sqlite_metadata_connection_config("/tmp/x/m.db")
    assert url_of(sqlite) == ("sqlite:///tmp/x/m.db", None)
    mysql = tfx.orchestration.metadata.mysql_metadata_connection_config(
        host="db", port=3307, database="mlmd", username="tfx", password="pw")
    assert url_of(mysql) == ("mysql://tfx@db:3307/mlmd", "pw")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    pipeline = _pipeline(tfx, metadata_connection_config=mysql)
    assert pipeline.metadata == "mysql://tfx@db:3307/mlmd"
    import os

    assert os.environ[PASSWORD_ENV] == "pw"


def test_kubeflow_metadata_config_and_runner_config(tfx):
    default = tfx.orchestration.experimental.get_default_kubeflow_metadata_config()
    assert default.grpc_config.grpc_service_host.environment_variable == (
        "METADATA_GRPC_SERVICE_HOST")
    from tfx.orchestration.kubeflow.proto import kubeflow_pb2

    mysql = kubeflow_pb2.KubeflowMetadataConfig()
    mysql.mysql_db_service_host.value = "mysql.headrace"
    mysql.mysql_db_name.value = "metadb"
    mysql.mysql_db_user.value = "headrace"
    config = tfx.orchestration.experimental.KubeflowDagRunnerConfig(
        kubeflow_metadata_config=mysql, tfx_image="img:1",
        pipeline_operator_funcs=[lambda op: op.add_node_selector_constraint("pool", "gpu")])
    options = config.options()
    assert options.metadata == "mysql://headrace@mysql.headrace:3306/metadb"
    assert options.image == options.gpu_image == "img:1"
    assert config.settings.node_selector == {"pool": "gpu"}
    assert tfx.orchestration.experimental.KubeflowDagRunnerConfig().options().metadata == (
        "grpc://metadata-grpc-service.kubeflow:8080")


def test_legacy_module_paths(tfx):
    from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
    from tfx.components.example_gen.component import FileBasedExampleGen
    from tfx.components.trainer.executor import GenericExecutor, TrainerFnArgs
    from tfx.dsl.components.base import base_component, base_driver, base_executor, executor_spec
    from tfx.dsl.components.common.importer import Importer
    from tfx.dsl.components.common.resolver import Resolver
    from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
        LatestBlessedModelStrategy,
    )
    from tfx.dsl.io import fileio
    from tfx.orchestration import metadata, pipeline
    from tfx.orchestration.kubeflow import kubeflow_dag_runner
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner
    from tfx.proto import example_gen_pb2, pusher_pb2, trainer_pb2
    from tfx.types import Channel, artifact_utils, channel_utils, component_spec
    from tfx.utils import proto_utils

    assert FileBasedExampleGen is tfx.components.FileBasedExampleGen
    assert Resolver is tfx.dsl.Resolver and Importer is tfx.dsl.Importer
    assert LatestBlessedModelStrategy is tfx.dsl.experimental.LatestBlessedModelStrategy
    assert LocalDagRunner is tfx.orchestration.LocalDagRunner
    assert kubeflow_dag_runner.KubeflowDagRunner is tfx.orchestration.experimental.KubeflowDagRunner
    assert pipeline.Pipeline is tfx.dsl.Pipeline
    assert metadata.sqlite_metadata_connection_config is (
        tfx.orchestration.metadata.sqlite_metadata_connection_config)
    assert trainer_pb2.TrainArgs is tfx.proto.TrainArgs
    assert example_gen_pb2.SplitConfig is tfx.proto.SplitConfig
    assert pusher_pb2.PushDestination is tfx.proto.PushDestination
    assert TrainerFnArgs is tfx.components.FnArgs and GenericExecutor.__name__ == "GenericExecutor"
    assert issubclass(BaseExampleGenExecutor, base_executor.BaseExecutor)
    assert base_component.BaseComponent and base_driver.BaseDriver and executor_spec
    assert Channel is tfx.dsl.Channel and component_spec.ChannelParameter
    examples = tfx.types.standard_artifacts.Examples()
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert examples.properties["split_names"] == '["train", "eval"]'
    assert channel_utils.as_channel([examples]).type is tfx.types.standard_artifacts.Examples
    text = proto_utils.proto_to_json(tfx.proto.TrainArgs(num_steps=4))
    assert proto_utils.json_to_proto(text, trainer_pb2.TrainArgs()).num_steps == 4
    assert callable(fileio.exists)


# -- what is not provided: one line, at import or construction -----------------------------------

@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda t: t.orchestration.experimental.VertexDagRunner,
         r"VertexDagRunner is not provided .* instead use compile to Argo with KubeflowDagRunner"),
        (lambda t: t.dsl.Cond, r"tfx.v1.dsl.Cond is not provided .* conditional nodes"),
        (lambda t: t.components.Trainer(examples=None, trainer_fn="m.trainer_fn"),
         r"Trainer\(trainer_fn=...\) is not provided .* Keras `run_fn"),
        (lambda t: t.components.Transform(examples=None, schema=None, analyzer_cache=object()),
         r"Transform\(analyzer_cache=...\) is not provided"),
        (lambda t: t.orchestration.experimental.KubeflowDagRunnerConfig(
            supported_launcher_classes=[object]),
         r"supported_launcher_classes=...\) is not provided .* custom launchers are not"),
        (lambda t: t.orchestration.experimental.KubeflowDagRunnerConfig(
            pipeline_operator_funcs=[lambda op: op.add_volume(object())]),
         r"operator func calling ContainerOp.add_volume is not provided"),
        (lambda t: t.orchestration.LocalDagRunner(config=object()),
         r"LocalDagRunner\(config=...\) is not provided"),
        (lambda t: t.components.FileBasedExampleGen(input_base=DATA),
         r"FileBasedExampleGen without custom_executor_spec is not provided"),
        (lambda t: t.dsl.experimental.ResolverStrategy, r"custom resolver strategies"),
    ],
)
def test_what_is_not_provided_fails_in_one_line_naming_it(tfx, make, match):
    with pytest.raises(TfxNotProvided, match=match) as caught:
        make(tfx)
    message = str(caught.value)
    assert "\n" not in message and "docs/migrating_from_tfx.md" in message


def test_missing_names_fail_as_import_errors_with_the_message(tfx):
    with pytest.raises(ImportError, match=r"InteractiveContext is not provided .* headrace.inter"):
        from tfx.v1.orchestration.experimental import InteractiveContext  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"does not provide tfx.orchestration.airflow; "
                       r"instead use LocalDagRunner .*Airflow is not a target"):
        from tfx.orchestration.airflow import airflow_dag_runner  # noqa: F401
    assert not hasattr(tfx.dsl, "__wrapped__")  # introspection still sees plain AttributeErrors


def test_bad_runner_output_name_fails_before_compiling(tfx):
    with pytest.raises(DefinitionError, match=r"must end in .tar.gz, .tgz, .zip, .yaml or .yml"):
        tfx.orchestration.experimental.KubeflowDagRunner(output_filename="p.json")


def test_operator_func_settings_become_resources_and_env(tfx):
    from kubernetes import client as k8s

    def ops(op):
        op.set_gpu_limit(2, "amd")
        op.set_memory_request("4Gi")
        op.add_toleration(k8s.V1Toleration(key="gpu", operator="Exists", effect="NoSchedule"))
        op.container.add_env_variable(k8s.V1EnvVar(name="MODE", value="fast"))
        op.add_env_variable(k8s.V1EnvVar(name="TOKEN", value_from=k8s.V1EnvVarSource(
            secret_key_ref=k8s.V1SecretKeySelector(name="s", key="k"))))

    config = tfx.orchestration.experimental.KubeflowDagRunnerConfig(pipeline_operator_funcs=[ops])
    gen = tfx.components.CsvExampleGen(input_base=DATA)
    config.settings.apply([gen])
    config.settings.apply([gen])  # once per node
    assert gen.resources.gpu == 2 and gen.resources.gpu_vendor == "amd.com/gpu"
    assert gen.resources.memory == "4Gi"
    assert gen.resources.tolerations == ({"key": "gpu", "operator": "Exists",
                                          "effect": "NoSchedule"},)
    options = config.options()
    assert options.env == {"MODE": "fast"}
    assert json.loads(json.dumps({k: [v.name, v.key] for k, v in options.secret_env.items()})) == {
        "TOKEN": ["s", "k"]}


def test_kubeflow_v2_dag_runner_writes_a_kfp_v2_spec_kfp_accepts(tmp_path):
    import yaml

    from headrace.compiler.kfp_spec_check import check_kfp_text

    gen = tfxv1.components.CsvExampleGen(input_base=DATA)
    stats = tfxv1.components.StatisticsGen(examples=gen.outputs["examples"])
    pipeline = tfxv1.dsl.Pipeline(pipeline_name="v2-check", pipeline_root=str(tmp_path / "root"),
                                  components=[gen, stats])
    experimental = tfxv1.orchestration.experimental
    config = experimental.KubeflowV2DagRunnerConfig(default_image="registry.example.com/hr:1")
    experimental.KubeflowV2DagRunner(config=config, output_dir=str(tmp_path)).run(pipeline)
    text = (tmp_path / "pipeline.yaml").read_text()
    assert check_kfp_text(text) == []
    spec = next(yaml.safe_load_all(text))
    assert spec["schemaVersion"] == "2.1.0"
    assert len(spec["root"]["dag"]["tasks"]) == 3  # the two nodes and the run-graph task
    # TFX's old default name: JSON holds one document, and this spec has a platform spec too.
    with pytest.raises(DefinitionError, match=r"JSON, which holds one .*name the output"):
        experimental.KubeflowV2DagRunner(config=config, output_dir=str(tmp_path),
                                         output_filename="pipeline.json").run(pipeline)
    assert not (tmp_path / "pipeline.json").exists()
    images = {e["container"]["image"] for e in spec["deploymentSpec"]["executors"].values()}
    assert images == {"registry.example.com/hr:1"}
