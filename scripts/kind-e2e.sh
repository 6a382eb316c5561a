#!/usr/bin/env bash
# The penguin pipeline on a local kind cluster, end to end:
#   kind cluster (manifests/overlays/kind/kind-cluster.yaml) -> Argo Workflows -> Headrace images
#   (`headrace image build`, `kind load`) -> manifests (MySQL, MLMD, pipeline root, RBAC) ->
#   compile inside the image -> submit -> scripts/e2e_checks.py: the Trainer's pod deleted while
#   it trains and retried, lineage in the cluster's MySQL, pod resources; a second run cached.
#
# Needs docker, kind, kubectl and uv. Safe to run again: it reuses the cluster and the images.
# Settings (environment):
#   HEADRACE_KIND_CLUSTER  cluster name (default headrace)
#   HEADRACE_BEAM_RUNNER   direct (default: Beam inside each step), flink or spark (also builds
#                          the Beam worker image and applies that overlay)
#   HEADRACE_E2E_FAKE_GPU  1: advertise one fake nvidia.com/gpu per node (kind has no GPUs), so
#                          pipelines with GPU steps schedule
#   HEADRACE_E2E_TIMEOUT   seconds to wait for the workflow (default 3600)
#   HEADRACE_E2E_KEEP      1: keep the cluster afterwards (default: delete it if this run made it)
#   ARGO_VERSION           Argo Workflows release (default v3.5.15)
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${HEADRACE_KIND_CLUSTER:-headrace}
RUNNER=${HEADRACE_BEAM_RUNNER:-direct}
TIMEOUT=${HEADRACE_E2E_TIMEOUT:-3600}
ARGO_VERSION=${ARGO_VERSION:-v3.5.15}
ARGO_MANIFEST="https://github.com/argoproj/argo-workflows/releases/download/${ARGO_VERSION}/install.yaml"
NAMESPACE=headrace                                   # headrace/compiler/cluster.py
METADATA=mysql://headrace@mysql:3306/metadb          # the base manifests' MySQL
HOST_DIR=/tmp/headrace-kind                          # extraMounts in kind-cluster.yaml

say() { printf '\n== %s\n' "$*" >&2; }
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "kind-e2e: $1 is not installed ($2)" >&2; exit 2; }
}
need docker "https://docs.docker.com/get-docker/"
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need uv "pip install uv"
case "$RUNNER" in direct | flink | spark) ;; *)
  echo "kind-e2e: HEADRACE_BEAM_RUNNER=$RUNNER is not direct, flink or spark" >&2; exit 2 ;;
esac
docker info >/dev/null 2>&1 || { echo "kind-e2e: the Docker engine is not running" >&2; exit 2; }

WORK=$(mktemp -d)
CREATED=0
cleanup() {
  status=$?
  if [[ $status -ne 0 ]]; then
    echo "kind-e2e: failed; files in $WORK, cluster $CLUSTER kept for a look:" >&2
    echo "  KUBECONFIG=$WORK/kubeconfig kubectl -n $NAMESPACE get pods,workflows" >&2
  elif [[ $CREATED == 1 && ${HEADRACE_E2E_KEEP:-0} != 1 ]]; then
    kind delete cluster --name "$CLUSTER"
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

say "kind cluster $CLUSTER"
mkdir -p "$HOST_DIR"
chmod 0777 "$HOST_DIR"  # the pipeline root: steps may run as a non-root user
if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --config manifests/overlays/kind/kind-cluster.yaml \
    --wait 180s
  CREATED=1
fi
# A kube config of our own: the user's current context stays as it was.
kind get kubeconfig --name "$CLUSTER" >"$WORK/kubeconfig"
export KUBECONFIG="$WORK/kubeconfig"

say "Argo Workflows $ARGO_VERSION"
kubectl create namespace argo --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n argo --server-side --force-conflicts -f "$ARGO_MANIFEST"
kubectl -n argo rollout status deployment/workflow-controller --timeout=300s

say "images"
uv run headrace image build
IMAGE=$(uv run headrace image name)
kind load docker-image "$IMAGE" --name "$CLUSTER"
if [[ $RUNNER != direct ]]; then
  uv run headrace image build --beam
  BEAM_IMAGE=$(uv run headrace image name --beam)
  kind load docker-image "$BEAM_IMAGE" --name "$CLUSTER"
fi

say "manifests"
kubectl apply -k manifests/overlays/kind
if [[ $RUNNER != direct ]]; then
  # The overlay names headrace/headrace-beam; set the tag just built with kustomize `images:`
  # (kustomize wants a relative path to the overlay).
  mkdir -p "$WORK/beam"
  overlay=$(uv run python -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' \
    "manifests/overlays/$RUNNER" "$WORK/beam")
  cat >"$WORK/beam/kustomization.yaml" <<EOF
resources:
  - $overlay
images:
  - name: headrace/headrace-beam
    newName: ${BEAM_IMAGE%:*}
    newTag: ${BEAM_IMAGE##*:}
EOF
  kubectl apply -k "$WORK/beam"
fi
kubectl -n "$NAMESPACE" rollout status statefulset/mysql --timeout=600s
kubectl -n "$NAMESPACE" rollout status deployment/metadata-grpc-deployment --timeout=600s
if [[ $RUNNER != direct ]]; then
  kubectl -n "$NAMESPACE" wait deployment --all --for=condition=Available --timeout=900s
fi

if [[ ${HEADRACE_E2E_FAKE_GPU:-0} == 1 ]]; then
  say "fake GPUs"
  # An extended resource on the node status: GPU steps schedule, and run on the CPU.
  for node in $(kubectl get nodes -o name); do
    kubectl patch "$node" --subresource=status --type=json \
      -p '[{"op": "add", "path": "/status/capacity/nvidia.com~1gpu", "value": "1"}]'
  done
fi

say "compile the penguin pipeline inside $IMAGE"
# Inside the image, the pipeline's paths (/app/examples/penguin/...) are the steps' paths.
# --no-ui-metadata: plain Argo has no artifact repository unless manifests/overlays/minio is on.
compile_flags=(--image "$IMAGE" --image-pull-policy IfNotPresent --no-ui-metadata)
if [[ $RUNNER != direct ]]; then compile_flags+=(--beam-runner "$RUNNER"); fi
docker run --rm "$IMAGE" headrace compile examples/penguin/pipeline.py -o - \
  "${compile_flags[@]}" >"$WORK/workflow.yaml"

# A pod in the namespace reads MySQL as the steps do (password from the same Secret).
runs_show() {  # runs_show WORKFLOW OUT: the run as the cluster's MySQL holds it
  local pod="headrace-runs-show-$RANDOM"
  cat >"$WORK/$pod.json" <<JSON
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "$pod", "namespace": "$NAMESPACE"},
 "spec": {"restartPolicy": "Never", "serviceAccountName": "headrace-workflow",
  "containers": [{"name": "check", "image": "$IMAGE", "imagePullPolicy": "IfNotPresent",
   "command": ["headrace", "runs", "show", "$1", "--metadata", "$METADATA", "--json"],
   "env": [{"name": "HEADRACE_MYSQL_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "headrace-mysql", "key": "password"}}}]}]}}
JSON
  kubectl apply -f "$WORK/$pod.json"
  kubectl -n "$NAMESPACE" wait "pod/$pod" --for=jsonpath='{.status.phase}'=Succeeded \
    --timeout=300s
  kubectl -n "$NAMESPACE" logs "pod/$pod" >"$2"
  kubectl -n "$NAMESPACE" delete "pod/$pod" --wait=false
}

say "first run: the Trainer's pod deleted while it trains"
first=$(uv run headrace submit "$WORK/workflow.yaml" | sed -n 's/^Workflow \([^ ]*\) in .*/\1/p')
[[ -n $first ]] || { echo "kind-e2e: headrace submit named no workflow" >&2; exit 1; }
uv run python scripts/e2e_checks.py watch "$NAMESPACE" "$first" "$WORK/first" \
  --delete-node trainer --timeout "$TIMEOUT"
runs_show "$first" "$WORK/first/run.json"
uv run python scripts/e2e_checks.py run "$WORK/workflow.yaml" "$WORK/first" "$WORK/first/run.json" \
  --retried trainer

say "second run: served from the cache"
uv run headrace submit "$WORK/workflow.yaml" --watch --timeout "$TIMEOUT" | tee "$WORK/second.log"
second=$(sed -n 's/^Workflow \([^ ]*\) in .*/\1/p' "$WORK/second.log")
grep -q "^Workflow $second in $NAMESPACE: Succeeded" "$WORK/second.log" \
  || { echo "kind-e2e: the second run did not succeed" >&2; exit 1; }
runs_show "$second" "$WORK/second.json"
uv run python scripts/e2e_checks.py cached "$WORK/second.json" \
  CsvExampleGen StatisticsGen SchemaGen ExampleValidator Transform Trainer

say "ok: $first succeeded (its Trainer's pod deleted and retried), lineage in MySQL; $second from the cache"
