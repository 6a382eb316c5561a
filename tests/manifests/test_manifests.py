"""`manifests/`: every kustomization renders (with our small renderer, cross-checked against
`kubectl kustomize` where kubectl is installed), every object validates against the Kubernetes
schemas, and the names the compiler emits by default are the ones the manifests define."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from headrace.compiler import BeamOptions, CompileOptions, cluster, compile_workflow
from tests.compiler.pipelines import word_count
from tests.manifests.kustomize import containers, image_name, referenced_files, render

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
KUSTOMIZATIONS = sorted(p.parent for p in MANIFESTS.rglob("kustomization.yaml"))
KIND_CONFIG = MANIFESTS / "overlays" / "kind" / "kind-cluster.yaml"
# kind's node image for Kubernetes 1.30 is the oldest cluster these manifests promise to fit.
KUBERNETES_VERSION = "1.30.0"


def _id(path: Path) -> str:
    return str(path.relative_to(MANIFESTS))


def rendered(name: str) -> list[dict[str, Any]]:
    return render(MANIFESTS / name)


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def serving(objects: list[dict[str, Any]], service: str, port: int) -> dict[str, Any]:
    """The workload behind `service`:`port`, after checking the Service really routes there."""
    svc = find(objects, "Service", service)
    ports = [p for p in svc["spec"]["ports"] if p["port"] == port]
    assert ports, f"Service {service} has no port {port}"
    selector = svc["spec"]["selector"].items()
    workloads = [o for o in objects if containers(o)
                 and selector <= o["spec"]["template"]["metadata"]["labels"].items()]
    assert len(workloads) == 1, f"Service {service} selects {len(workloads)} workloads"
    target = ports[0].get("targetPort", port)
    exposed = {(p.get("name"), p["containerPort"]) for c in containers(workloads[0])
               for p in c.get("ports", [])}
    assert any(target in pair for pair in exposed), f"{service}: no container port {target}"
    return workloads[0]


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in containers(workload) if c["name"] == name)


def env(c: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env", [])}


def mounts_claim(workload: dict[str, Any], c: dict[str, Any], claim: str, path: str) -> bool:
    volumes = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName")
               for v in workload["spec"]["template"]["spec"].get("volumes", [])}
    return any(volumes.get(m["name"]) == claim and m["mountPath"] == path
               for m in c.get("volumeMounts", []))


# -- rendering and validity ---------------------------------------------------------------------


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_id)
def test_every_referenced_file_exists(directory):
    missing = [str(p) for p in referenced_files(directory) if not p.is_file()]
    assert not missing


def test_every_manifest_file_is_used_by_a_kustomization():
    used = {p for d in KUSTOMIZATIONS for p in referenced_files(d)}
    files = {p.resolve() for p in MANIFESTS.rglob("*.yaml")} - {KIND_CONFIG}
    assert sorted(map(str, files - used)) == []


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_id)
def test_every_object_validates_against_the_kubernetes_schemas(directory):
    objects = render(directory)
    assert objects
    for o in objects:
        # strict: unknown fields (a typo'd key) fail too
        kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
        if o["kind"] not in ("Namespace", "PersistentVolume"):  # the cluster-scoped ones
            assert o["metadata"]["namespace"] == cluster.NAMESPACE, o["metadata"]["name"]


def test_a_bad_manifest_fails_validation():
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"selector": {}, "template": {"spec": {"containers": [
               {"name": "a", "imagee": "typo"}]}}}}
    with pytest.raises(kubernetes_validate.ValidationError, match="imagee"):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def _canonical(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(o, sort_keys=True) for o in objects)


def _kubectl_kustomize(directory: Path) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the renderer is not cross-checked here")
    done = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=_id)
def test_the_renderer_agrees_with_kubectl_kustomize(directory):
    assert _canonical(render(directory)) == _canonical(_kubectl_kustomize(directory))


def test_image_tags_are_set_the_way_the_kind_script_sets_them(tmp_path):
    """scripts/kind-e2e.sh writes a kustomization over an overlay with `images:`."""
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        # kustomize refuses absolute paths to other kustomizations: the script uses relative ones
        "resources": [os.path.relpath(MANIFESTS / "overlays" / "flink", tmp_path)],
        "images": [{"name": cluster.BEAM_WORKER_IMAGE, "newTag": "abc123"}],
    }))
    objects = render(tmp_path)
    pool = container(find(objects, "Deployment", "flink-taskmanager"), "beam-worker-pool")
    assert pool["image"] == f"{cluster.BEAM_WORKER_IMAGE}:abc123"
    assert _canonical(objects) == _canonical(_kubectl_kustomize(tmp_path))


def test_image_names_split_off_tags_and_digests_but_not_registry_ports():
    assert image_name("localhost:5000/headrace/headrace-beam:1@sha256:ab") == (
        "localhost:5000/headrace/headrace-beam")
    assert image_name("headrace/headrace-beam") == "headrace/headrace-beam"


# -- the compiler's defaults are the manifests' names --------------------------------------------


def _compiled(**changes: Any) -> dict[str, Any]:
    options = CompileOptions(image="headrace/headrace:test", **changes)
    return yaml.safe_load(compile_workflow(word_count(), options).yaml)


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The node steps (not the run step, which only writes the run graph to MLMD)."""
    return [t for t in doc["spec"]["templates"] if "container" in t and t["name"] != "headrace-run"]


def _flag(c: dict[str, Any], name: str) -> str:
    args = [a for a in c.get("args", []) if a.startswith(f"--{name}=")]
    assert len(args) == 1, (name, c.get("args"))
    return args[0].split("=", 1)[1]


def test_a_default_compile_targets_the_base_manifests():
    base = rendered("base")
    doc = _compiled()
    namespace = doc["metadata"]["namespace"]
    assert find(base, "Namespace", namespace)

    account = doc["spec"]["serviceAccountName"]
    find(base, "ServiceAccount", account)
    binding = find(base, "RoleBinding", account)
    assert {"kind": "ServiceAccount", "name": account, "namespace": namespace} in (
        binding["subjects"])
    role = find(base, binding["roleRef"]["kind"], binding["roleRef"]["name"])
    rules = {(g, r, v) for rule in role["rules"] for g in rule["apiGroups"]
             for r in rule["resources"] for v in rule["verbs"]}
    # What Argo's emissary executor needs (Argo docs, "Workflow RBAC").
    assert {("argoproj.io", "workflowtaskresults", "create"),
            ("argoproj.io", "workflowtaskresults", "patch")} <= rules
    # What a split pipeline's parent needs to create its children and wait for them.
    assert {("argoproj.io", "workflows", v) for v in ("create", "get", "watch", "patch")} | {
        ("argoproj.io", "workflowtemplates", "get")} <= rules

    claim = doc["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert find(base, "PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadWriteMany"]

    for step in _steps(doc):
        c = step["container"]
        mount = next(m for m in c["volumeMounts"] if m["name"] == doc["spec"]["volumes"][0]["name"])
        assert _flag(c, "root") == mount["mountPath"] == cluster.PIPELINE_ROOT

        url = _flag(c, "metadata")
        user_host, _, database = url.removeprefix("mysql://").partition("/")
        user, _, host_port = user_host.partition("@")
        host, _, port = host_port.partition(":")
        mysql = serving(base, host, int(port))
        db_env = env(container(mysql, "mysql"))
        assert (db_env["MYSQL_USER"], db_env["MYSQL_DATABASE"]) == (user, database)
        password = env(c)["HEADRACE_MYSQL_PASSWORD"]["secretKeyRef"]
        assert db_env["MYSQL_PASSWORD"]["secretKeyRef"] == password
        secret = find(base, "Secret", password["name"])
        assert password["key"] in secret["stringData"]
        # MLMD's client logs in with mysql_native_password only.
        assert "--default-authentication-plugin=mysql_native_password" in (
            container(mysql, "mysql")["args"])


def test_the_metadata_grpc_service_serves_the_same_mysql():
    base = rendered("base")
    server = serving(base, cluster.METADATA_GRPC_SERVICE, cluster.METADATA_GRPC_PORT)
    c = container(server, "server")
    assert c["image"] == "gcr.io/tfx-oss-public/ml_metadata_store_server:1.16.0"
    assert f"--grpc_port={cluster.METADATA_GRPC_PORT}" in c["args"]
    e = env(c)
    assert (e["MYSQL_HOST"], e["MYSQL_PORT"], e["MYSQL_DATABASE"], e["MYSQL_USER"]) == (
        cluster.MYSQL_SERVICE, str(cluster.MYSQL_PORT), cluster.MYSQL_DATABASE,
        cluster.MYSQL_USER)
    assert e["MYSQL_PASSWORD"]["secretKeyRef"] == {
        "name": cluster.MYSQL_SECRET, "key": cluster.MYSQL_PASSWORD_KEY}
    # Every $(VAR) in the args is defined, or the server would get the literal text.
    for arg in c["args"]:
        if "$(" in arg:
            assert arg.split("$(")[1].split(")")[0] in e


@pytest.mark.parametrize(("runner", "pool_host"), [
    ("flink", "flink-taskmanager"), ("spark", "spark-worker")])
def test_beam_on_flink_or_spark_reaches_the_overlays_job_server_and_worker_pools(
        runner, pool_host):
    objects = rendered(f"overlays/{runner}")
    doc = _compiled(beam=BeamOptions(runner=runner))
    beam_step = next(s["container"] for s in _steps(doc)
                     if any(a.startswith("--beam-arg=--job_endpoint") for a in
                            s["container"].get("args", [])))
    beam_args = dict(a.removeprefix("--beam-arg=").split("=", 1)
                     for a in beam_step["args"] if a.startswith("--beam-arg="))

    host, _, port = beam_args["--job_endpoint"].partition(":")
    job_server = serving(objects, host, int(port))
    server = container(job_server, "job-server")
    assert "beam_" in server["image"] and server["image"].endswith(":2.61.0")
    # What the step stages under the pipeline root, the job server stages there too.
    staged = next(a for a in server["args"] if a.startswith("--artifacts-dir="))
    assert staged.split("=", 1)[1].startswith(cluster.PIPELINE_ROOT + "/")
    assert beam_args["--artifacts_dir"].startswith(cluster.PIPELINE_ROOT + "/")
    assert mounts_claim(job_server, server, cluster.PIPELINE_ROOT_CLAIM, cluster.PIPELINE_ROOT)

    workers = find(objects, "Deployment", pool_host)
    pool = container(workers, "beam-worker-pool")
    assert image_name(pool["image"]) == cluster.BEAM_WORKER_IMAGE
    assert pool["args"] == ["--worker_pool"] and pool["imagePullPolicy"] == "IfNotPresent"
    assert beam_args["--environment_config"] == (
        f"localhost:{pool['ports'][0]['containerPort']}")
    for c in containers(workers):
        assert mounts_claim(workers, c, cluster.PIPELINE_ROOT_CLAIM, cluster.PIPELINE_ROOT)


def test_the_kind_overlay_binds_the_root_to_the_directory_every_kind_node_mounts():
    objects = rendered("overlays/kind")
    claim = find(objects, "PersistentVolumeClaim", cluster.PIPELINE_ROOT_CLAIM)
    volume = find(objects, "PersistentVolume", claim["spec"]["volumeName"])
    assert volume["spec"]["storageClassName"] == claim["spec"]["storageClassName"]
    assert "ReadWriteMany" in volume["spec"]["accessModes"]
    config = yaml.safe_load(KIND_CONFIG.read_text())
    assert config["kind"] == "Cluster" and config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    for node in config["nodes"]:
        assert volume["spec"]["hostPath"]["path"] in [m["containerPath"]
                                                      for m in node["extraMounts"]]


def test_every_overlay_lives_in_the_compilers_namespace():
    for directory in KUSTOMIZATIONS:
        kz = yaml.safe_load((directory / "kustomization.yaml").read_text())
        assert kz["namespace"] == cluster.NAMESPACE, directory


def test_compile_help_names_the_cluster_defaults():
    from click.testing import CliRunner

    from headrace.cli import main

    # without whitespace: help text wraps lines, at hyphens too
    text = "".join(CliRunner().invoke(main, ["compile", "--help"]).output.split())
    for value in (cluster.NAMESPACE, cluster.SERVICE_ACCOUNT, cluster.PIPELINE_ROOT,
                  cluster.PIPELINE_ROOT_CLAIM, cluster.METADATA_URL,
                  *cluster.JOB_ENDPOINTS.values()):
        assert value in text
