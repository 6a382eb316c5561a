"""Argo's and Kubeflow Pipelines' own code accepts every compiled example: the conformance tools
(tools/conformance, built by scripts/build-conformance.sh) run Argo's workflow/validate at
3.4.17, 3.5.14, 3.7.3 and 4.0.5 as `argo lint`, the controller and KFP's upload and run creation
do, and parse KFP v2 specs with KFP's PipelineSpec protos.

Skipped when the tools are not built, unless HEADRACE_REQUIRE_CONFORMANCE=1 (CI) makes that a
failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from headrace.compiler import BeamOptions, WorkflowTooLarge, compile_pipeline
from headrace.compiler.conformance import (
    ARGO_TOOLS,
    V2_TOOLS,
    build_hint,
    check_file,
    check_files,
    missing_tools,
)
from headrace.compiler.errors import ConformanceError
from headrace.dsl.loader import load_pipeline
from headrace.ir import build
from tests.compiler.cases import DIRECT_MINIMAL, FLINK_PVC_MYSQL, GOLDEN, MORE, SPARK_STEP_GCS_GRPC
from tests.compiler.pipelines import REPO, fan_out

GOLDEN_DIR = Path(__file__).parent / "golden"
REQUIRE = os.environ.get("HEADRACE_REQUIRE_CONFORMANCE") == "1"
# Five checks per Argo version: argo lint, the controller, KFP upload, KFP run creation, and the
# Kubernetes API server's metadata checks (with the apimachinery that Argo version links).
VALIDATE = ("argo-lint", "argo-controller", "kfp-upload", "kfp-run")
CHECKS = (*VALIDATE, "kubernetes-api")


def need(tools: tuple[str, ...]) -> None:
    missing = missing_tools(tools)
    if missing:
        if REQUIRE:
            pytest.fail(f"HEADRACE_REQUIRE_CONFORMANCE=1 but {build_hint(missing)}")
        pytest.skip(build_hint(missing))


def example(path: str, options):
    return lambda: (build(load_pipeline(str(REPO / path))), options)


# Every compiled example: the golden cases, the schema-validity cases (GPU steps, a chain, a
# fan-out), the real example pipelines with the Flink and Spark options, and 1,000 nodes.
EXAMPLES = {
    **GOLDEN,
    **MORE,
    # Size limits are test_compile_limits' business; here Argo's and KFP's validation of 1,000.
    "fan-out-1000": lambda: (
        fan_out(1000),
        SPARK_STEP_GCS_GRPC.override(beam=BeamOptions(), enforce_limits=False),
    ),
    "penguin-example-flink": example("examples/penguin/pipeline.py", FLINK_PVC_MYSQL),
    "penguin-example-spark": example("examples/penguin/pipeline.py", SPARK_STEP_GCS_GRPC),
    "taxi-example-flink": example("examples/chicago_taxi/pipeline.py", FLINK_PVC_MYSQL),
    "taxi-example-spark": example("examples/chicago_taxi/pipeline.py", SPARK_STEP_GCS_GRPC),
    "images-example": example("examples/images/pipeline.py", DIRECT_MINIMAL),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("compiled")
    paths = {}
    for name, make in EXAMPLES.items():
        ir, options = make()
        paths[name] = out / f"{name}.yaml"
        paths[name].write_text(compile_pipeline(ir, options))
    for golden in sorted(GOLDEN_DIR.glob("*.yaml")):
        paths[f"golden/{golden.name}"] = golden
    return paths


def too_large_for_headrace(name: str) -> bool:
    """Whether Headrace's own limit check refuses the example (compiled above without it)."""
    if name not in EXAMPLES:
        return False
    ir, options = EXAMPLES[name]()
    try:
        compile_pipeline(ir, options.override(enforce_limits=True))
    except WorkflowTooLarge:
        return True
    return False


def test_every_version_accepts_every_compiled_example(compiled):
    need(ARGO_TOOLS)
    results = check_files(list(compiled.values()))
    by_path = {str(path): name for name, path in compiled.items()}
    rejected = []
    for result in results:
        found = [f"{result.path}: {v.by}: {v.message} [{v.where}]" for v in result.rejected]
        if too_large_for_headrace(by_path[result.path]):
            # Headrace's limit check and the Kubernetes API server agree: annotations over
            # 256 KiB are refused (by kubernetes-api, and so in the workflow KFP would submit);
            # Argo's own validation has nothing against it.
            assert {v.check for v in result.rejected} == {"kubernetes-api", "kfp-run"}
            for verdict in result.rejected:
                assert "Too long" in verdict.message and "262144 bytes" in verdict.message
            continue
        rejected += found
    assert rejected == []
    for result in results:
        # Each file was checked, by each version, in each way (nothing silently left out).
        assert result.missing == ()
        assert len(result.verdicts) == len(ARGO_TOOLS) * len(CHECKS)
        versions = {
            re.match(r"Argo (\S+)", v.by).group(1)
            for v in result.verdicts
            if v.check == "argo-lint"
        }
        assert versions == {"3.4.17", "3.5.14", "3.7.3", "4.0.5"}


def test_kfp_run_creation_takes_declared_parameters_and_refuses_others(compiled):
    need(ARGO_TOOLS)
    path = compiled["word-count-direct"]
    declared = {
        p["name"] for p in yaml.safe_load(path.read_text())["spec"]["arguments"]["parameters"]
    }
    assert "rows" in declared
    assert check_file(path, {"rows": "7"}).rejected == ()
    result = check_file(path, {"rows": "7", "no_such_parameter": "1"})
    runs = [v for v in result.rejected if v.check == "kfp-run"]
    assert [v.message for v in runs] == [
        "Failed to verify parameters: Unrecognized input parameter: no_such_parameter"
    ] * len(ARGO_TOOLS)
    assert {v.check for v in result.rejected} == {"kfp-run"}


def broken_copy(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load((GOLDEN_DIR / "word-count-direct.yaml").read_text())
    edit(doc)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_rejection_names_the_version_argos_message_and_the_line(tmp_path):
    need(ARGO_TOOLS)

    def undefined_template(doc):
        tasks = doc["spec"]["templates"][0]["dag"]["tasks"]
        next(t for t in tasks if t["name"] == "make-text")["template"] = "no-such-template"

    path = broken_copy(tmp_path, undefined_template)
    result = check_file(path)
    assert {v.check for v in result.rejected} == set(VALIDATE)
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "- name: make-text" in text
    )
    for verdict in result.rejected:
        assert re.match(r"(Argo|KFP) [0-9.]+", verdict.by)
        if "Argo 3.7.3" in verdict.by:
            # Argo 3.7.3 dereferences the missing template when spec.podMetadata is set (as
            # Headrace and KFP set it): its panic is the rejection, and names no place.
            assert verdict.message.startswith("Argo 3.7.3 panicked in workflow/validate")
            continue
        assert "template name 'no-such-template' undefined" in verdict.message
        assert verdict.where == f"line {line}: template 'headrace-dag', task 'make-text'"


def test_an_unknown_field_fails_argo_lint_with_its_line_while_the_servers_drop_it(tmp_path):
    need(ARGO_TOOLS)

    def misspelt(doc):
        doc["spec"]["templates"][1]["contianer"] = {}

    path = broken_copy(tmp_path, misspelt)
    result = check_file(path)
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "contianer:" in text
    )
    assert [(v.check, v.message, v.where) for v in result.rejected] == [
        ("argo-lint", 'json: unknown field "contianer"', f"line {line}: field 'contianer'")
    ] * len(ARGO_TOOLS)


def test_a_file_that_is_no_workflow_gets_one_clear_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(ConformanceError, match=r"neither an Argo Workflow .* nor a KFP pipeline"):
        check_file(path)


def test_kfp_sdk_compiled_v2_spec_is_accepted_and_a_bad_one_refused(tmp_path):
    need(V2_TOOLS)
    from kfp import compiler

    from tests.compiler.kfp_tiny import tiny

    path = tmp_path / "tiny.yaml"
    compiler.Compiler().compile(tiny, str(path))
    result = check_file(path)
    assert result.format == "kfp-v2"
    assert result.rejected == ()
    (upload,) = [v for v in result.verdicts if v.check == "kfp-v2-upload"]
    assert not upload.skipped
    (argo,) = [v for v in result.verdicts if v.check == "kfp-v2-argo-compile"]
    assert "not served by the Go module proxy" in argo.skipped

    old = tmp_path / "old.yaml"
    old.write_text(path.read_text().replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0"))
    (bad,) = check_file(old).rejected
    assert bad.message.endswith(
        "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.0.0"
    )
    typo = tmp_path / "typo.yaml"
    typo.write_text(path.read_text().replace("deploymentSpec:", "deploymentSpecs:"))
    (bad,) = check_file(typo).rejected
    assert 'unknown field "deploymentSpecs"' in bad.message


def test_a_label_kubernetes_refuses_is_caught_with_its_template_and_line(tmp_path):
    need(ARGO_TOOLS)

    def long_label(doc):
        doc["spec"]["templates"][1].setdefault("metadata", {}).setdefault("labels", {})[
            "headrace.dev/node"
        ] = "x" * 64

    path = broken_copy(tmp_path, long_label)
    result = check_file(path)
    assert {v.check for v in result.rejected} == {"kubernetes-api", "kfp-run"}
    (kube, *_) = [v for v in result.rejected if v.check == "kubernetes-api"]
    assert "spec.templates[1].metadata.labels" in kube.message
    assert "must be no more than 63 characters" in kube.message
    name = yaml.safe_load(path.read_text())["spec"]["templates"][1]["name"]
    assert kube.where.startswith("line ") and f"template {name!r}.metadata.labels" in kube.where


def invoke(*args: str, env: dict[str, str] | None = None):
    from click.testing import CliRunner

    from headrace.cli import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_headrace_check_names_the_versions_and_fails_with_their_message(tmp_path):
    need(ARGO_TOOLS)
    done = invoke("check", str(GOLDEN_DIR / "word-count-direct.yaml"), "--param", "rows=3")
    assert done.exit_code == 0, done.output
    for version in (
        "Argo 3.4.17",
        "Argo 3.5.14",
        "Argo 3.7.3",
        "Argo 4.0.5",
        "KFP 2.2, 2.4.1",
        "KFP 2.5",
        "KFP 2.15",
        "KFP 2.17",
    ):
        assert version in done.output
    assert "accepted by every check that ran" in done.output

    def undefined_template(doc):
        tasks = doc["spec"]["templates"][0]["dag"]["tasks"]
        next(t for t in tasks if t["name"] == "make-text")["template"] = "no-such-template"

    broken = broken_copy(tmp_path, undefined_template)
    done = invoke("check", str(broken))
    assert done.exit_code == 1
    assert "REJECTED Argo 4.0.5 controller" in done.output
    assert "template name 'no-such-template' undefined" in done.output
    assert "at line " in done.output


def test_without_the_tools_check_says_so_and_compile_check_still_writes(tmp_path):
    env = {"HEADRACE_CONFORMANCE_BIN": str(tmp_path / "no-tools")}
    done = invoke("check", str(GOLDEN_DIR / "word-count-direct.yaml"), env=env)
    assert done.exit_code == 2
    assert "NOT checked" in done.output and "scripts/build-conformance.sh" in done.output
    out = tmp_path / "wf.yaml"
    pipeline = REPO / "examples" / "penguin" / "pipeline.py"
    done = invoke(
        "compile", str(pipeline), "-o", str(out), "--image", "headrace:dev", "--check", env=env
    )
    assert done.exit_code == 0, done.output
    assert out.exists()
    assert "skipped" in done.output and "scripts/build-conformance.sh" in done.output
