"""`--format kfp`: the KFP v2 pipeline spec. Its shape (one task per node, parameters, resources,
GPUs, secrets by reference, retries, KFP's cache off), strict parsing by KFP's protos and the kfp
SDK's loader, the refusals, and a run of its executors on this machine."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from headrace.compiler import BeamOptions, CompileOptions, SecretRef, compile_workflow
from headrace.compiler.kfp_spec_check import check_kfp_text
from headrace.compiler.kfp_v2 import KFP_METADATA_URL, compile_kfp
from headrace.compiler.memory_retry import ATTEMPT_ENV, LAST_EXIT_CODE_ENV
from headrace.compiler.names import k8s_name
from headrace.errors import DefinitionError
from headrace.ir import ParameterIR, decode_graph, definition_json, instance_json, step_ir
from tests.compiler.cases import FLINK_PVC_MYSQL, SPARK_STEP_GCS_GRPC
from tests.compiler.helpers import BASE
from tests.compiler.kfp_cases import KFP_CASES
from tests.compiler.kfp_v2_harness import run_spec
from tests.compiler.pipelines import REPO, chain, containers, fan_out, penguin, word_count


def _docs(text: str) -> tuple[dict, dict]:
    spec, platform = yaml.safe_load_all(text)
    return spec, platform


@pytest.fixture(scope="module")
def penguin_v2():
    return _docs(
        compile_kfp(
            penguin(),
            FLINK_PVC_MYSQL.override(namespace="headrace", service_account="headrace-workflow"),
        ).yaml
    )


def test_one_task_per_node_with_edges_as_dependent_tasks(penguin_v2):
    spec, _ = penguin_v2
    ir = penguin()
    tasks = dict(spec["root"]["dag"]["tasks"])
    run = tasks.pop("headrace-run")  # records the run graph; see the test below
    assert "dependentTasks" not in run
    assert [t["taskInfo"]["name"] for t in tasks.values()] == [n.id for n in ir.nodes]
    by_node = {t["taskInfo"]["name"]: (k, t) for k, t in tasks.items()}
    for node in ir.nodes:
        _, task = by_node[node.id]
        assert task.get("dependentTasks", []) == [by_node[u][0] for u in node.upstream]
        # The task carries its node instance, as the Argo DAG task does.
        assert task["inputs"]["parameters"]["headrace_node"] == {
            "runtimeValue": {"constant": instance_json(node)}
        }
        # KFP's driver fills the run's uuid into a task input's constant, not into args
        assert task["inputs"]["parameters"]["headrace_run_id"] == {
            "runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}
        }
        assert task["cachingOptions"] == {"enableCache": False}
        assert task["retryPolicy"] == {
            "backoffDuration": "30s",
            "backoffFactor": 2.0,
            "backoffMaxDuration": "3600s",
            "maxRetryCount": 3,
        }
    assert spec["schemaVersion"] == "2.1.0"
    assert spec["pipelineInfo"] == {
        "name": "penguin-simple",
        "description": "The penguin example's shape: TFX-style components on Argo.",
    }


def test_runtime_parameters_are_typed_pipeline_inputs_with_defaults(penguin_v2):
    spec, _ = penguin_v2
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert {n: (p["parameterType"], p["defaultValue"]) for n, p in inputs.items()} == {
        "train-steps": ("NUMBER_INTEGER", 200),
        "threshold": ("NUMBER_DOUBLE", 0.7),
    }
    trainer = spec["root"]["dag"]["tasks"]["trainer"]
    assert trainer["inputs"]["parameters"]["train-steps"] == {
        "componentInputParameter": "train-steps"
    }


def _executor(spec: dict, task: str) -> tuple[str, dict]:
    ref = spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]
    label = spec["components"][ref]["executorLabel"]
    return label, spec["deploymentSpec"]["executors"][label]["container"]


def test_each_executor_runs_the_entrypoint_with_the_argo_steps_args(penguin_v2):
    spec, _ = penguin_v2
    options = FLINK_PVC_MYSQL
    ir = penguin()
    argo = yaml.safe_load(compile_workflow(ir, options).yaml)
    templates = {t["name"]: t for t in argo["spec"]["templates"]}
    argo_tasks = {t["name"]: t for t in argo["spec"]["templates"][0]["dag"]["tasks"]}
    for task in ("csv-example-gen", "statistics-gen", "trainer", "evaluator"):
        _, container = _executor(spec, task)
        step = templates[argo_tasks[task]["template"]]["container"]
        assert container["image"] == step["image"] and container["command"] == step["command"]
        # The same flags, with KFP's placeholders where Argo's are, and no KFP v1 UI file.
        expected = []
        for arg in step["args"]:
            if arg.startswith("--ui-metadata"):
                continue
            arg = arg.replace("{{workflow.name}}", "{{$.inputs.parameters['headrace_run_id']}}")
            arg = arg.replace(
                "{{inputs.parameters.node}}", "{{$.inputs.parameters['headrace_node']}}"
            )
            for name in ("train-steps", "threshold"):
                arg = arg.replace(
                    f"{{{{workflow.parameters.{name}}}}}", f"{{{{$.inputs.parameters['{name}']}}}}"
                )
            expected.append(arg)
        assert container["args"] == expected
        # Only the component definition, never the IR: no env carries it.
        node = next(n for n in ir.nodes if k8s_name(n.id) == task)
        assert f"--definition={definition_json(ir, node)}" in container["args"]
        # Argo's retry number and last exit code (memory_retry.py) exist only in Argo.
        assert [e["name"] for e in container.get("env", [])] == [
            e["name"] for e in step.get("env", [])
            if "value" in e and e["name"] not in (ATTEMPT_ENV, LAST_EXIT_CODE_ENV)
        ]
        assert "HEADRACE_IR" not in json.dumps(spec)


def test_the_definition_and_the_tasks_instance_rebuild_the_node(penguin_v2):
    spec, _ = penguin_v2
    ir = penguin()
    for node in ir.nodes:
        task = spec["root"]["dag"]["tasks"][k8s_name(node.id)]
        _, container = _executor(spec, k8s_name(node.id))
        (definition,) = [a for a in container["args"] if a.startswith("--definition=")]
        instance = task["inputs"]["parameters"]["headrace_node"]["runtimeValue"]["constant"]
        (rebuilt,) = step_ir(definition.removeprefix("--definition="), instance).nodes
        assert (rebuilt.id, rebuilt.component, rebuilt.upstream) == (
            node.id, node.component, node.upstream
        )
        assert {p.name: p.value for p in rebuilt.parameters} == {
            p.name: p.value for p in node.parameters
        }


def test_the_run_task_records_the_graph_once_per_run(penguin_v2):
    spec, _ = penguin_v2
    ir = penguin()
    run = spec["root"]["dag"]["tasks"]["headrace-run"]
    assert run["inputs"]["parameters"] == {
        "headrace_run_id": {"runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}}
    }
    _, container = _executor(spec, "headrace-run")
    assert container["args"][:3] == [
        "--phase=run", "--graph-env=HEADRACE_GRAPH", "--pipeline=penguin_simple",
    ]
    (graph,) = [e["value"] for e in container["env"] if e["name"] == "HEADRACE_GRAPH"]
    assert [(g["id"], g["upstream"]) for g in decode_graph(graph)] == [
        (n.id, n.upstream) for n in ir.nodes
    ]
    # No node's executor carries the graph.
    assert json.dumps(spec["deploymentSpec"]).count(graph) == 1


def test_resources_and_gpus_in_both_field_sets(penguin_v2):
    spec, _ = penguin_v2
    _, trainer = _executor(spec, "trainer")
    assert trainer["resources"] == {
        "cpuLimit": 4.0,
        "cpuRequest": 4.0,
        "memoryLimit": 21.474836480,
        "memoryRequest": 17.179869184,
        "resourceCpuLimit": "4",
        "resourceCpuRequest": "4",
        "resourceMemoryLimit": "20Gi",
        "resourceMemoryRequest": "16Gi",
        "accelerator": {
            "count": "2",
            "resourceCount": "2",
            "resourceType": "nvidia.com/gpu",
            "type": "nvidia.com/gpu",
        },
    }
    assert trainer["image"] == "registry.example.com/headrace-gpu:0.1.0"
    _, stats = _executor(spec, "statistics-gen")
    assert "accelerator" not in stats["resources"]
    assert {"name": "NVIDIA_VISIBLE_DEVICES", "value": ""} in stats["env"]


def test_secrets_volume_and_placement_are_in_the_platform_spec(penguin_v2):
    spec, platform = penguin_v2
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    label, trainer = _executor(spec, "trainer")
    config = executors[label]
    assert config["secretAsEnv"] == [
        {
            "keyToEnv": [{"envVar": "HEADRACE_MYSQL_PASSWORD", "secretKey": "password"}],
            "secretName": "mysql-secret",
        }
    ]
    assert config["pvcMount"] == [{"constant": "headrace-pipelines", "mountPath": "/mnt/pipelines"}]
    assert config["nodeSelector"] == {
        "labels": {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}
    }
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in config[
        "tolerations"
    ]
    assert config["imagePullSecret"] == [{"secretName": "registry-credentials"}]
    assert config["imagePullPolicy"] == "IfNotPresent"
    assert config["activeDeadlineSeconds"] == 24 * 3600
    assert all("valueFrom" not in e for e in trainer.get("env", []))


def test_secret_env_goes_by_reference_and_never_its_value():
    options = SPARK_STEP_GCS_GRPC.override(beam=BeamOptions(), pod_gc="OnWorkflowSuccess")
    text = compile_kfp(penguin(), options).yaml
    spec, platform = _docs(text)
    label, container = _executor(spec, "trainer")
    config = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"][label]
    assert config["secretAsEnv"] == [
        {
            "keyToEnv": [
                {"envVar": "GOOGLE_APPLICATION_CREDENTIALS_JSON", "secretKey": "key.json"}
            ],
            "secretName": "gcp-sa",
        }
    ]
    assert "pvcMount" not in config  # an object-store root needs no volume
    assert {"name": "GOOGLE_CLOUD_PROJECT", "value": "ml-project"} in container["env"]


def test_kfps_own_mlmd_is_the_default_store():
    text = compile_kfp(word_count(), dataclasses.replace(BASE, metadata=None)).yaml
    assert f"--metadata={KFP_METADATA_URL}" in text
    assert KFP_METADATA_URL == "grpc://metadata-grpc-service.kubeflow:8080"


def test_a_str_runtime_parameter_reaches_the_entrypoint_verbatim():
    from headrace.entrypoint.main import _parser, _runtime_text

    ir = penguin()
    ir = dataclasses.replace(
        ir,
        runtime_parameters=tuple(
            dataclasses.replace(p, type_name="str", default="5") if p.name == "threshold" else p
            for p in ir.runtime_parameters
        ),
    )
    spec, _ = _docs(compile_kfp(ir, BASE).yaml)
    _, evaluator = _executor(spec, "evaluator")
    assert "--runtime-text=threshold={{$.inputs.parameters['threshold']}}" in evaluator["args"]
    assert _parser().parse_args(
        ["--definition={}", "--instance={}", "--run-id=r", "--runtime-text=threshold=5"]
    ).runtime_text == ["threshold=5"]
    assert _runtime_text("threshold=5") == ("threshold", "5")


def test_executors_are_shared_per_configuration_and_tasks_carry_their_instance():
    ir = fan_out(150)
    text = compile_kfp(ir, BASE).yaml
    spec, _ = _docs(text)
    assert len(spec["root"]["dag"]["tasks"]) == 151  # and the run task
    # The source, and the fan-out's step with and without a GPU (every 10th node): one
    # executor each, whatever the node; and the run task's.
    assert len(spec["deploymentSpec"]["executors"]) == 4
    # The pipeline's name is in each definition (and the run task's args) only.
    assert text.count('\\"pipeline\\":\\"fan-out-150\\"') + text.count(
        '"pipeline":"fan-out-150"'
    ) == 3


def test_the_same_input_compiles_to_the_same_bytes():
    assert compile_kfp(penguin(), BASE).yaml == compile_kfp(penguin(), BASE).yaml


@pytest.mark.parametrize("case", sorted(KFP_CASES))
def test_kfps_protos_and_sdk_accept_every_case(case):
    ir, options = KFP_CASES[case]()
    assert check_kfp_text(compile_kfp(ir, options).yaml) == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.update(schemaVersion="2.0.0"), r"schemaVersion is '2.0.0'"),
        (
            lambda s: s["root"]["dag"]["tasks"]["trainer"].update(retries=3),
            r"KFP's protos reject it: .*retries",
        ),
        (
            lambda s: s["root"]["dag"]["tasks"]["trainer"]["componentRef"].update(name="comp-x"),
            r"trainer: componentRef 'comp-x' is not in components",
        ),
        (
            lambda s: s["root"]["dag"]["tasks"]["trainer"].update(dependentTasks=["nope"]),
            r"trainer: depends on 'nope'",
        ),
        (
            lambda s: s["deploymentSpec"]["executors"]["exec-trainer"]["container"].pop("command"),
            r"exec-trainer: no command",
        ),
        (
            lambda s: s["deploymentSpec"]["executors"]["exec-trainer"].update(
                containr=s["deploymentSpec"]["executors"]["exec-trainer"].pop("container")
            ),
            r"deploymentSpec: KFP's protos reject it: .*containr",
        ),
        (
            lambda s: s["deploymentSpec"]["executors"]["exec-trainer"]["container"][
                "resources"
            ].update(gpuLimit=1),
            r"deploymentSpec: KFP's protos reject it: .*gpuLimit",
        ),
    ],
)
def test_the_checks_catch_a_broken_spec(mutate, message):
    spec, platform = _docs(compile_kfp(penguin(), BASE).yaml)
    mutate(spec)
    problems = check_kfp_text(yaml.safe_dump(spec) + "---\n" + yaml.safe_dump(platform))
    assert any(re.search(message, p) for p in problems), problems


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(sidecars=[]), r"sidecars"),
        (lambda c: c["secretAsEnv"][0].update(keyToEnvs=[]), r"keyToEnvs"),
    ],
)
def test_the_checks_catch_a_bad_kubernetes_setting(strict, mutate, message, monkeypatch):
    if not strict:  # without kfp-kubernetes (not a runtime dependency): names are checked
        monkeypatch.setitem(sys.modules, "kfp.kubernetes", None)
    spec, platform = _docs(compile_kfp(penguin(), BASE).yaml)
    mutate(platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-trainer"])
    problems = check_kfp_text(yaml.safe_dump(spec) + "---\n" + yaml.safe_dump(platform))
    if strict or message == r"sidecars":
        assert len(problems) == 1, problems
        assert problems[0].startswith("platform spec executors.exec-trainer: ")
        assert re.search(message, problems[0])
    else:
        assert problems == []  # a nested misspelling needs the proto


@pytest.mark.parametrize(
    ("ir", "options", "message"),
    [
        (
            lambda: containers(gpu=0),
            BASE,
            r"Node 'CountLines'.* is a container component.*"
            r"--format argo",
        ),
        (
            penguin,
            SPARK_STEP_GCS_GRPC.override(pod_gc="OnWorkflowSuccess"),
            r"Node 'StatisticsGen'.*Beam worker-pool sidecar.*--beam-worker-pool cluster",
        ),
        (
            penguin,
            BASE.override(namespace="kubeflow"),
            r"namespace='kubeflow' \(`--namespace`\).*headrace upload --namespace",
        ),
        (
            penguin,
            BASE.override(workflow_timeout_seconds=60),
            r"workflow_timeout_seconds=60 \(`--workflow-timeout`\).*no pipeline-wide timeout",
        ),
        (penguin, BASE.override(pod_gc="OnPodSuccess"), r"pod_gc='OnPodSuccess'"),
    ],
)
def test_what_v2_cannot_express_is_refused_with_what_to_use_instead(ir, options, message):
    with pytest.raises(DefinitionError, match=message):
        compile_kfp(ir(), options)


def test_the_retry_difference_is_said_not_hidden():
    assert any(
        "a failure in your own code is retried too" in w
        for w in compile_kfp(penguin(), BASE).warnings
    )
    assert not any(
        "retried" in w for w in compile_kfp(penguin(), BASE.override(retry_limit=0)).warnings
    )


def test_cli_compile_format_kfp(tmp_path):
    out = tmp_path / "penguin.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "compile",
            "examples/penguin/pipeline.py",
            "--format",
            "kfp",
            "-o",
            str(out),
            "--image",
            "registry.example.com/headrace:1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "9 tasks (KFP v2 pipeline spec)" in done.stderr
    assert check_kfp_text(out.read_text()) == []


@pytest.mark.mysql
def test_the_executors_run_the_pipeline_on_this_machine(tmp_path, mysql_url):
    """KFP's launcher runs each executor's command with its placeholders filled in: doing the
    same here runs the whole pipeline into one MLMD, the runtime parameter reaching its step."""
    secret = SecretRef(name="mlmd-mysql", key="password")
    root = tmp_path / "pipelines"
    root.mkdir()
    options = CompileOptions(
        image="headrace:test",
        pipeline_root=str(root),
        root_volume_claim="headrace-pipelines",
        metadata=mysql_url,
        mysql_password_secret=secret,
    )
    text = compile_kfp(word_count(), options).yaml
    assert os.environ["HEADRACE_MYSQL_PASSWORD"] not in text
    runs = run_spec(
        text,
        run_uuid="2b6f1c1e-0d1c-4d7e-9a8e-1f2e3d4c5b6a",
        parameters={"rows": 12},
        secrets={secret.name: {secret.key: os.environ["HEADRACE_MYSQL_PASSWORD"]}},
        cwd=REPO,
    )
    assert [r.node for r in runs] == ["run graph", "make_text", "beam_count", "fit"]
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "headrace",
            "runs",
            "show",
            "2b6f1c1e-0d1c-4d7e-9a8e-1f2e3d4c5b6a",
            "--metadata",
            mysql_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    run = json.loads(shown.stdout)
    assert {e["node_id"]: e["state"] for e in run["executions"]} == {
        "make_text": "COMPLETE",
        "beam_count": "COMPLETE",
        "fit": "COMPLETE",
    }
    (count,) = [e for e in run["executions"] if e["node_id"] == "beam_count"]
    assert count["outputs"]["statistics"][0]["properties"]["words"] == 36  # 12 rows of 3 words


def test_a_1000_node_fan_out_compiles_with_the_limit_check_and_flat_payloads():
    # Each executor carries its component definition, each task its node instance: what one
    # pod is handed does not grow with the pipeline. KFP's Argo Workflow holds every task's
    # JSON twice (the root component and the task's driver), so with a retry policy on every
    # task 1,000 tasks pass its 1 MiB; without retries they fit.
    from headrace.compiler import WorkflowTooLarge

    options = BASE.override(retry_limit=0)
    small, large = compile_kfp(fan_out(100), options), compile_kfp(fan_out(1000), options)
    sizes = [
        {m.what.split(" (")[0]: m.size for m in c.measures} for c in (small, large)
    ]
    payload = "largest per-task payload"
    assert sizes[1][payload] <= sizes[0][payload] * 1.05
    assert all(not m.exceeded for m in large.measures)
    assert len(large.pipeline_spec["deploymentSpec"]["executors"]) == 4
    with pytest.raises(WorkflowTooLarge, match=r"the Argo Workflow KFP makes of it .* > "
                       r"1\.00 MiB(.|\n)*JSON of 1001 tasks, twice"):
        compile_kfp(fan_out(1000), BASE.override(retry_limit=3))


GOLDEN_KFP = ("penguin-flink-pvc-mysql", "word-count-direct")


@pytest.mark.parametrize("case", GOLDEN_KFP)
def test_matches_its_golden_pipeline_spec(case):
    from tests.compiler.test_compile_validity import GOLDEN_DIR, UPDATE

    ir, options = KFP_CASES[case]()
    text = compile_kfp(ir, options).yaml
    # Their own directory: tools that check golden/*.yaml as Argo Workflows skip them.
    path = GOLDEN_DIR / "kfp" / f"{case}.yaml"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run with HEADRACE_UPDATE_GOLDEN=1"
    assert text == path.read_text(), (
        f"{case} compiles differently from {path}; if the change is intended, regenerate with "
        f"HEADRACE_UPDATE_GOLDEN=1 and review the diff"
    )


def test_a_runtime_parameter_named_like_a_task_input_is_refused():
    ir = word_count()
    ir = dataclasses.replace(
        ir,
        runtime_parameters=tuple(
            dataclasses.replace(p, name="headrace_node") if p.name == "rows" else p
            for p in ir.runtime_parameters
        ),
    )
    with pytest.raises(
        DefinitionError,
        match=r"'headrace_node' of pipeline 'word_count' has a "
        r"name Headrace's KFP tasks use",
    ):
        compile_kfp(ir, BASE)


def test_submitting_a_v2_spec_to_argo_says_to_upload_it(tmp_path):
    from headrace.compiler.argo_submit import submit
    from headrace.compiler.errors import DeployError

    path = tmp_path / "penguin-v2.yaml"
    path.write_text(compile_kfp(penguin(), BASE).yaml)
    with pytest.raises(
        DeployError,
        match=r"is a KFP v2 pipeline spec, which only Kubeflow "
        r"Pipelines runs.*headrace upload penguin-v2.yaml --run",
    ):
        submit(path, api_client=object())


def test_a_node_instance_too_big_for_one_pod_is_refused_naming_its_task():
    # KFP's driver hands a task's JSON (its node instance) to one pod as an argument, which
    # Linux refuses over 128 KiB: an inlined 200 KB parameter is named as the cause.
    from headrace.compiler import WorkflowTooLarge

    ir = chain(10)
    big = ParameterIR(name="config", value="x" * 200_000)
    ir = dataclasses.replace(
        ir,
        nodes=tuple(
            dataclasses.replace(n, parameters=(*n.parameters, big)) if n.id == "n0003" else n
            for n in ir.nodes
        ),
    )
    with pytest.raises(WorkflowTooLarge, match=r"largest per-task payload .* > 128\.0 KiB"
                       r"(.|\n)*task n0003"):
        compile_kfp(ir, BASE)
    compiled = compile_kfp(chain(100), BASE)
    (workflow,) = [m for m in compiled.measures if m.what.startswith("the Argo Workflow KFP")]
    assert 0 < workflow.size < workflow.limit


def test_the_kfp_sdk_loads_the_file_as_a_component_with_the_pipelines_inputs(tmp_path):
    import kfp.components

    path = tmp_path / "penguin.yaml"
    path.write_text(compile_kfp(penguin(), BASE).yaml)
    loaded = kfp.components.load_component_from_file(str(path))
    assert loaded.name == "penguin-simple"
    inputs = {n: (i.type, i.default, i.optional) for n, i in loaded.component_spec.inputs.items()}
    assert inputs == {"threshold": ("Float", 0.7, True), "train-steps": ("Integer", 200, True)}
    assert loaded.platform_spec.platforms["kubernetes"]  # the second document came along
