#!/usr/bin/env bash
# The penguin pipeline on the single-node cluster of scripts/local-cluster.sh, end to end:
#   cluster up (cached build) -> Headrace's image (`headrace image build --base local`, loaded
#   into the cluster's containerd) -> compile inside the image (the Trainer asks for a GPU,
#   tests/e2e/penguin_gpu.py) -> `headrace submit` -> checks (scripts/e2e_checks.py):
#   1. the workflow succeeds although the Trainer's pod is deleted while it trains (Argo
#      retries it; MLMD records the Trainer once as COMPLETE); every node COMPLETE in the
#      cluster's MySQL; the model pushed under the pipeline root; every step pod asked for its
#      template's CPU and memory, the Trainer's for the (advertised) GPU;
#   2. a second submit of the same file is served from the cache.
# Root only (the cluster's processes run as root). Safe to run again: the cluster, the images
# and the build are reused. Settings (environment):
#   HEADRACE_E2E_TIMEOUT   seconds to wait for each workflow (default 2400)
#   HEADRACE_E2E_DOWN      1: `local-cluster.sh down` afterwards (default: leave it running)
set -euo pipefail
cd "$(dirname "$0")/.."

TIMEOUT=${HEADRACE_E2E_TIMEOUT:-2400}
NAMESPACE=headrace                                   # headrace/compiler/cluster.py
# Each e2e run its own MLMD database and pipeline root, so that its first run computes (the
# user may create the databases named headrace*: tools/cluster/overlay, images/cluster).
RUN_KEY=e2e_$(date +%Y%m%d_%H%M%S)
METADATA=mysql://headrace@127.0.0.1:3307/headrace_$RUN_KEY   # tools/cluster/overlay/mysql.yaml
ROOT=/mnt/headrace/$RUN_KEY                                  # headrace/compiler/cluster.py
ROOT_ON_HOST=/var/lib/headrace-cluster/pipeline-root/$RUN_KEY  # tools/cluster/overlay/volumes.yaml
UPSTREAM=(CsvExampleGen StatisticsGen SchemaGen ExampleValidator Transform Trainer)

say() { printf '\n== %s\n' "$*" >&2; }
command -v uv >/dev/null 2>&1 || { echo "local-cluster-e2e: uv is not installed (pip install uv)" >&2; exit 2; }

WORK=$(mktemp -d)
finish() {
  local status=$?
  if [[ $status -ne 0 ]]; then
    echo "local-cluster-e2e: failed; files in $WORK; the cluster still runs for a look:" >&2
    echo "  $(scripts/local-cluster.sh env); kubectl -n $NAMESPACE get workflows,pods" >&2
  else
    rm -rf "$WORK"
  fi
  if [[ ${HEADRACE_E2E_DOWN:-0} == 1 ]]; then scripts/local-cluster.sh down; fi
}
trap finish EXIT

start=$SECONDS
say "cluster"
scripts/local-cluster.sh up
eval "$(scripts/local-cluster.sh env)"
export PATH="/var/cache/headrace-cluster/bin:$PATH"  # the cluster's own kubectl first
cluster_seconds=$((SECONDS - start))

say "image"
uv run headrace image build --base local 2>&1 | tail -n 3
IMAGE=$(uv run headrace image name)
scripts/local-cluster.sh load "$IMAGE"
image_seconds=$((SECONDS - start - cluster_seconds))

say "compile the penguin pipeline (Trainer on a GPU) inside $IMAGE"
docker run --rm --network none -v "$PWD/tests/e2e/penguin_gpu.py:/e2e/penguin_gpu.py:ro" "$IMAGE" \
  headrace compile /e2e/penguin_gpu.py -o - --image "$IMAGE" --gpu-image "$IMAGE" \
  --image-pull-policy IfNotPresent --no-ui-metadata --host-network --metadata "$METADATA" \
  --pipeline-root "$ROOT" --default-cpu 500m --retry-backoff 2s >"$WORK/workflow.yaml"

password=$(kubectl -n "$NAMESPACE" get secret headrace-mysql -o jsonpath='{.data.password}' | base64 -d)
runs_show() {  # runs_show WORKFLOW OUT: the run as the cluster's MySQL holds it
  HEADRACE_MYSQL_PASSWORD=$password uv run headrace runs show "$1" --metadata "$METADATA" --json >"$2"
}

say "first run: the Trainer's pod deleted while it trains"
run_start=$SECONDS
first=$(uv run headrace submit "$WORK/workflow.yaml" | sed -n 's/^Workflow \([^ ]*\) in .*/\1/p')
[[ -n $first ]] || { echo "local-cluster-e2e: headrace submit named no workflow" >&2; exit 1; }
uv run python scripts/e2e_checks.py watch "$NAMESPACE" "$first" "$WORK/first" \
  --delete-node trainer --timeout "$TIMEOUT"
first_seconds=$((SECONDS - run_start))
runs_show "$first" "$WORK/first/run.json"
uv run python scripts/e2e_checks.py run "$WORK/workflow.yaml" "$WORK/first" "$WORK/first/run.json" \
  --retried trainer
grep -E '^\s+(cpu|memory|nvidia.com/gpu):' "$WORK"/first/describe/"$first"-trainer-*.txt | head -n 6 >&2
pushed=$(find "$ROOT_ON_HOST/serving/penguin" -name saved_model.pb -newer "$WORK/workflow.yaml" | head -n 1)
[[ -n $pushed ]] || { echo "local-cluster-e2e: no model pushed under $ROOT_ON_HOST/serving/penguin" >&2; exit 1; }
echo "pushed: ${pushed%/saved_model.pb}"

say "second run: served from the cache"
run_start=$SECONDS
uv run headrace submit "$WORK/workflow.yaml" --watch --timeout "$TIMEOUT" | tee "$WORK/second.log"
second=$(sed -n 's/^Workflow \([^ ]*\) in .*/\1/p' "$WORK/second.log")
grep -q "^Workflow $second in $NAMESPACE: Succeeded" "$WORK/second.log" \
  || { echo "local-cluster-e2e: the second run did not succeed" >&2; exit 1; }
second_seconds=$((SECONDS - run_start))
runs_show "$second" "$WORK/second.json"
uv run python scripts/e2e_checks.py cached "$WORK/second.json" "${UPSTREAM[@]}"

say "ok: penguin ran on the local cluster ($first, then $second from the cache)"
echo "seconds: cluster up ${cluster_seconds}, image ${image_seconds}, first run ${first_seconds}, cached run ${second_seconds}, total $((SECONDS - start))"
