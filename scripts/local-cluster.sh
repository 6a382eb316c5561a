#!/usr/bin/env bash
# A single-node Kubernetes with Argo Workflows on this machine, built from Go modules, for
# machines that reach no image registry (where kind cannot start: its node image is pulled).
#
#   scripts/local-cluster.sh up           build what is missing (cached), start, apply manifests/
#   scripts/local-cluster.sh load IMAGE   copy a local Docker image into the cluster's containerd
#   scripts/local-cluster.sh env          print `export KUBECONFIG=...` for this cluster
#   scripts/local-cluster.sh status       what runs, with pids and logs
#   scripts/local-cluster.sh down         stop everything and remove the cluster's state
#
# What runs (as root, each a background process; logs in $LOGS):
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler   (tools/cluster/kube: v1.34.4)
#   containerd (Debian's 1.6, CRI on its own socket, apart from Docker's) and the kubelet
#   Argo's workflow controller, namespaced to `headrace`              (tools/cluster/argo: v3.7.3)
# and in pods: MySQL (tools/cluster/overlay). Images the cluster needs are built here:
# pause (tools/cluster/pause), argoexec and MariaDB (images/cluster/), on `headrace image base`.
#
# Network: nothing leaves the machine. The API server and kubelet listen on $NODE_IP, an address
# of the benchmarking range (RFC 2544) added to the loopback device (Kubernetes refuses a
# 127.x node address); controllers listen on 127.0.0.1. There is no pod network or kube-proxy:
# workflows compile with `--host-network`, and Argo's executor reaches the API server at
# $NODE_IP:6443 (set in its configmap) instead of the unroutable `kubernetes` Service.
# A test and single-machine setting, not a production cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

K8S_VERSION=v1.34.4
ARGO_VERSION=v3.7.3
NODE_NAME=headrace-local
NODE_IP=${HEADRACE_CLUSTER_IP:-198.18.0.1}
API_PORT=${HEADRACE_CLUSTER_API_PORT:-6443}
ETCD_PORT=${HEADRACE_CLUSTER_ETCD_PORT:-2379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
MYSQL_PORT=3307                                     # tools/cluster/overlay/mysql.yaml
NAMESPACE=headrace                                  # headrace/compiler/cluster.py
CACHE=${HEADRACE_CLUSTER_CACHE:-/var/cache/headrace-cluster}  # binaries, images: kept
STATE=/var/lib/headrace-cluster                     # volumes.yaml names these paths
RUN=/run/headrace-cluster
LOGS=/var/log/headrace-cluster
BIN=$CACHE/bin
CONF=$STATE/conf
CTR_SOCK=$RUN/containerd.sock
PAUSE_IMAGE=headrace-cluster/pause:1
ARGOEXEC_IMAGE=headrace-cluster/argoexec:$ARGO_VERSION
MARIADB_IMAGE=headrace-cluster/mariadb:10.11
BASE_IMAGE=headrace-base/python:3.11-bookworm       # headrace/image_base.py
export PATH="$BIN:$PATH:/usr/local/go/bin"

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

# --- processes --------------------------------------------------------------------------------
start() {  # start NAME CMD...: in the background, pid in $RUN, output in $LOGS/NAME.log
  local name=$1; shift
  if running "$name"; then return; fi
  printf '   %s: %s\n' "$name" "$*" >"$LOGS/$name.cmd"
  nohup "$@" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  say "$name started (pid $!, log $LOGS/$name.log)"
}
running() { [[ -f $RUN/$1.pid ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
wait_for() {  # wait_for NAME SECONDS CMD...: until CMD succeeds, or fail with NAME's log
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name" || ((SECONDS > deadline)); then
      echo "local-cluster: $name did not become ready within ${seconds}s; $LOGS/$name.log ends:" >&2
      tail -n 25 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 1
  done
}
stop() {
  local name=$1
  [[ -f $RUN/$name.pid ]] || return 0
  local pid; pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    say "$name stopped"
  fi
  rm -f "$RUN/$name.pid"
}

# --- checks -----------------------------------------------------------------------------------
preflight() {
  [[ $(id -u) == 0 ]] || die "run as root: the kubelet and containerd manage mounts and cgroups."
  command -v go >/dev/null || die "Go is not installed (needed once, to build Kubernetes and Argo)."
  command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)."
  command -v ip >/dev/null || die "ip is not installed (apt-get install iproute2)."
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  if ((${#missing[@]})); then
    say "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  scripts/setup-docker.sh >&2
  local port owner
  for port in "$API_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" 10250 10257 10259 "$MYSQL_PORT"; do
    owner=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1)
    if [[ -n $owner ]] && ! running_here "$owner"; then
      die "port $port is in use (${owner##* }); stop that program or, for the API server and etcd, set HEADRACE_CLUSTER_API_PORT / HEADRACE_CLUSTER_ETCD_PORT."
    fi
  done
}
running_here() {  # is the listener one of this cluster's own processes (a second `up`)?
  local name pid
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet; do
    [[ -f $RUN/$name.pid ]] && pid=$(cat "$RUN/$name.pid") && [[ $1 == *"pid=$pid,"* ]] && return 0
  done
  [[ $1 == *mariadbd* ]]  # the cluster's MySQL pod (host network)
}

# --- build (cached) ---------------------------------------------------------------------------
build() {
  mkdir -p "$BIN"
  local kube=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
  local stamp="$BIN/.kube-$K8S_VERSION" ldflags
  if [[ ! -f $stamp ]]; then
    say "building Kubernetes $K8S_VERSION and etcd from their Go modules (once; 5-10 min)"
    ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
    ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION")"
    ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
    (cd tools/cluster/kube && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$BIN/" \
      go.etcd.io/etcd/server/v3 k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kubectl})
    mv "$BIN/v3" "$BIN/etcd" 2>/dev/null || mv "$BIN/server" "$BIN/etcd"
    touch "$stamp"
  fi
  stamp="$BIN/.argo-$ARGO_VERSION"
  if [[ ! -f $stamp ]]; then
    say "building Argo Workflows $ARGO_VERSION from its Go module (once; 2-4 min)"
    (cd tools/cluster/argo && go mod download github.com/argoproj/argo-workflows/v3)
    # The proxy's zip of argo-workflows has no workflow/executor/osspecific/signal_linux.go (only
    # darwin and windows), so argoexec does not build for Linux from it ("undefined: Setpgid").
    # Build from a writable copy of the module with our own Linux file added
    # (tools/cluster/argo/osspecific_linux.go.in); go build -overlay refuses module-cache paths.
    local src work=$CACHE/argo-build
    src=$(cd tools/cluster/argo && go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)
    rm -rf "$work" && mkdir -p "$work"
    cp -r "$src" "$work/argo-workflows" && chmod -R u+w "$work/argo-workflows"
    cp tools/cluster/argo/osspecific_linux.go.in \
      "$work/argo-workflows/workflow/executor/osspecific/signal_linux.go"
    cp tools/cluster/argo/{go.mod,go.sum,tools.go} "$work/"
    (cd "$work" && go mod edit -replace "github.com/argoproj/argo-workflows/v3=./argo-workflows" \
      && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
        -o "$BIN/" github.com/argoproj/argo-workflows/v3/cmd/{workflow-controller,argoexec})
    touch "$stamp"
  fi
  if [[ ! -x $BIN/pause ]]; then
    (cd tools/cluster/pause && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/pause" .)
  fi
  local tool
  for tool in "${kube[@]}" workflow-controller argoexec pause; do
    [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing after the build; remove $BIN/.kube-* and .argo-* and run up again."
  done
}

images() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || uv run headrace image base >&2
  local ctx
  image_exists "$PAUSE_IMAGE" || { ctx=$(mktemp -d); cp "$BIN/pause" "$ctx/";
    docker build -q -t "$PAUSE_IMAGE" -f images/cluster/pause.Dockerfile "$ctx" >&2; rm -rf "$ctx"; }
  image_exists "$ARGOEXEC_IMAGE" || { ctx=$(mktemp -d); cp "$BIN/argoexec" "$ctx/";
    docker build -q -t "$ARGOEXEC_IMAGE" --build-arg BASE_IMAGE="$BASE_IMAGE" \
      -f images/cluster/argoexec.Dockerfile "$ctx" >&2; rm -rf "$ctx"; }
  image_exists "$MARIADB_IMAGE" || { ctx=$(mktemp -d); cp images/cluster/mariadb-entrypoint.sh "$ctx/";
    docker build -q --network host -t "$MARIADB_IMAGE" --build-arg BASE_IMAGE="$BASE_IMAGE" \
      -f images/cluster/mariadb.Dockerfile "$ctx" >&2; rm -rf "$ctx"; }
}
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

load() {  # load IMAGE: into containerd's k8s.io namespace, unless the same image is there
  local image=$1 id
  id=$(docker image inspect --format '{{.Id}}' "$image") || die "no Docker image $image here (build it first)."
  local ref; ref=$(ref_of "$image")
  if ctr -a "$CTR_SOCK" -n k8s.io images ls -q "name==$ref" 2>/dev/null | grep -q . \
      && [[ $(cat "$CACHE/loaded/${ref//[\/:]/_}" 2>/dev/null) == "$id" ]]; then
    return
  fi
  say "loading $image into the cluster's containerd"
  docker save "$image" | ctr -a "$CTR_SOCK" -n k8s.io images import --no-unpack=false - >/dev/null
  mkdir -p "$CACHE/loaded" && echo "$id" >"$CACHE/loaded/${ref//[\/:]/_}"
}
ref_of() {  # the name containerd stores: docker.io/library/x:y style
  local name=$1
  [[ $name == */* ]] || name=library/$name
  [[ ${name%%/*} == *.* || ${name%%/*} == *:* || ${name%%/*} == localhost ]] || name=docker.io/$name
  echo "$name"
}

# --- configuration ----------------------------------------------------------------------------
certs() {
  local pki=$CONF/pki
  [[ -f $pki/.done ]] && return
  mkdir -p "$pki" && cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=headrace-local-ca" \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  issue apiserver "/CN=kube-apiserver" \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:$NODE_IP,IP:10.96.0.1"
  issue kubelet-serving "/CN=$NODE_NAME" "DNS:$NODE_NAME,IP:$NODE_IP"
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  issue admin "/O=system:masters/CN=headrace-admin"
  issue controller-manager "/CN=system:kube-controller-manager"
  issue scheduler "/CN=system:kube-scheduler"
  issue kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  touch .done
  cd "$REPO"
}
issue() {  # issue NAME SUBJECT [SANS]: a key and a certificate signed by the cluster's CA
  local name=$1 subject=$2 sans=${3:-}
  openssl req -newkey rsa:2048 -nodes -subj "$subject" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  local ext; ext=$(mktemp)
  if [[ -n $sans ]]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" >"$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$ext"
  fi
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -extfile "$ext" -out "$name.crt" 2>/dev/null
  rm -f "$ext" "$name.csr"
}
kubeconfig() {  # kubeconfig NAME [NAMESPACE]
  cat >"$CONF/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: headrace-local
    cluster: {server: "https://$NODE_IP:$API_PORT", certificate-authority: $CONF/pki/ca.crt}
users:
  - name: $1
    user: {client-certificate: $CONF/pki/$1.crt, client-key: $CONF/pki/$1.key}
contexts:
  - name: headrace-local
    context: {cluster: headrace-local, user: $1, namespace: ${2:-default}}
current-context: headrace-local
EOF
}
configure() {
  mkdir -p "$CONF" "$STATE/cni" "$STATE/pipeline-root" "$STATE/mysql" "$CACHE/containerd"
  chmod 0777 "$STATE/pipeline-root"  # steps may run as a non-root user
  certs
  kubeconfig admin "$NAMESPACE"
  kubeconfig controller-manager
  kubeconfig scheduler
  kubeconfig kubelet
  cat >"$CONF/containerd.toml" <<EOF
version = 2
root = "$CACHE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$CTR_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The kubelet asks for oom_score_adj -998 for sandboxes; a machine that is itself a container
  # may not lower it, and runc then dies before the pod starts ("can't get final child's PID").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
EOF
  # Only pods without hostNetwork use it (none of Headrace's here): a bridge on an address range
  # reserved for benchmarking, never routed, no masquerading.
  cat >"$STATE/cni/10-headrace.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "headrace", "plugins": [
  {"type": "bridge", "bridge": "hr-cni0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "198.18.1.0/24"}]],
            "dataDir": "$STATE/cni-ipam"}}]}
EOF
  cat >"$CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CONF/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $CONF/pki/kubelet-serving.crt
tlsPrivateKeyFile: $CONF/pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$CTR_SOCK
cgroupDriver: cgroupfs
# No QoS cgroup tree: the machine may itself be a container whose cgroups are not its own.
cgroupsPerQOS: false
enforceNodeAllocatable: []
failCgroupV1: false
failSwapOn: false
# A test machine's disk is often fuller than the default thresholds allow.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
resolvConf: /etc/resolv.conf
EOF
}

# --- up / down --------------------------------------------------------------------------------
up() {
  preflight
  mkdir -p "$RUN" "$LOGS" "$STATE"
  build
  images
  configure
  ip addr show dev lo | grep -q "inet $NODE_IP/" || ip addr add "$NODE_IP/32" dev lo
  local kubectl=(kubectl --kubeconfig "$CONF/admin.kubeconfig")

  start etcd etcd --name headrace --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "headrace=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls ""
  wait_for etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  local pki=$CONF/pki
  start kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
    --profiling=false
  wait_for kube-apiserver 120 "${kubectl[@]}" get --raw /readyz

  start kube-controller-manager kube-controller-manager --kubeconfig "$CONF/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$CONF/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$CONF/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" --profiling=false
  start kube-scheduler kube-scheduler --kubeconfig "$CONF/scheduler.kubeconfig" \
    --authentication-kubeconfig "$CONF/scheduler.kubeconfig" \
    --authorization-kubeconfig "$CONF/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false

  start containerd containerd --config "$CONF/containerd.toml"
  wait_for containerd 60 ctr -a "$CTR_SOCK" version
  load "$PAUSE_IMAGE"
  load "$ARGOEXEC_IMAGE"
  load "$MARIADB_IMAGE"

  start kubelet kubelet --config "$CONF/kubelet.yaml" --kubeconfig "$CONF/kubelet.kubeconfig" \
    --root-dir "$STATE/kubelet" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
  wait_for kubelet 120 "${kubectl[@]}" get node "$NODE_NAME"
  wait_for kubelet 120 "${kubectl[@]}" wait node "$NODE_NAME" --for condition=Ready --timeout 5s
  # No GPU here: advertise one as an extended resource (as the kind script does) so GPU steps
  # schedule and `kubectl describe` shows their requests; they run on the CPU.
  "${kubectl[@]}" patch node "$NODE_NAME" --subresource status --type json \
    -p '[{"op": "add", "path": "/status/capacity/nvidia.com~1gpu", "value": "1"}]' >/dev/null

  say "Argo's CRDs and Headrace's manifests (tools/cluster/overlay)"
  local argo_src; argo_src=$(cd tools/cluster/argo && go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)
  "${kubectl[@]}" apply --server-side -k "$argo_src/manifests/base/crds/minimal" >/dev/null
  "${kubectl[@]}" apply -k tools/cluster/overlay >/dev/null
  "${kubectl[@]}" -n "$NAMESPACE" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  # Argo's init and wait containers reach the API server on the node's address (no kube-proxy
  # here to route the kubernetes Service); pods use the host's network.
  executor: |
    env:
      - {name: KUBERNETES_SERVICE_HOST, value: "$NODE_IP"}
      - {name: KUBERNETES_SERVICE_PORT, value: "$API_PORT"}
  metricsConfig: |
    enabled: false
  telemetryConfig: |
    enabled: false
EOF
  LEADER_ELECTION_DISABLE=true start workflow-controller workflow-controller \
    --kubeconfig "$CONF/admin.kubeconfig" --namespaced --managed-namespace "$NAMESPACE" \
    --configmap workflow-controller-configmap \
    --executor-image "$ARGOEXEC_IMAGE" --executor-image-pull-policy IfNotPresent
  "${kubectl[@]}" -n "$NAMESPACE" rollout status statefulset/mysql --timeout 300s >&2
  say "up: KUBECONFIG=$CONF/admin.kubeconfig (namespace $NAMESPACE); MySQL at 127.0.0.1:$MYSQL_PORT;"
  say "    pipeline root $STATE/pipeline-root (the claim headrace-pipeline-root); logs in $LOGS"
  say "    compile with: --host-network --metadata mysql://headrace@127.0.0.1:$MYSQL_PORT/metadb"
}

down() {
  [[ $(id -u) == 0 ]] || die "run as root (as up did)."
  mkdir -p "$RUN"
  stop workflow-controller
  stop kubelet
  if running containerd; then  # every pod's containers, then their sandboxes
    local id
    for id in $(ctr -a "$CTR_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$CTR_SOCK" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    sleep 1
    for id in $(ctr -a "$CTR_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$CTR_SOCK" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr -a "$CTR_SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      ctr -a "$CTR_SOCK" -n k8s.io containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  if [[ -d $RUN/runc/k8s.io ]]; then  # containers whose shim outlived containerd
    for id in $(runc --root "$RUN/runc/k8s.io" list -q 2>/dev/null); do
      runc --root "$RUN/runc/k8s.io" delete --force "$id" 2>/dev/null || true
    done
  fi
  pkill -9 -f "containerd-shim-runc-v2 .*-address $CTR_SOCK" 2>/dev/null || true
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
  # Pod volumes (secrets, projected tokens), sandbox mounts and container root file systems.
  local mnt
  awk '{print $2}' /proc/mounts | grep -E "^($STATE|$RUN|$CACHE/containerd)/" | sort -r |
    while read -r mnt; do
      umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    done
  ip link del hr-cni0 2>/dev/null || true
  ip addr del "$NODE_IP/32" dev lo 2>/dev/null || true
  rm -rf "$STATE" "$RUN"
  say "down: nothing of the cluster runs; built binaries and images stay in $CACHE"
}

status() {
  local name state=0
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet workflow-controller; do
    if running "$name"; then
      printf '%-24s running (pid %s)  %s\n' "$name" "$(cat "$RUN/$name.pid")" "$LOGS/$name.log"
    else
      printf '%-24s not running        %s\n' "$name" "$LOGS/$name.log"; state=1
    fi
  done
  return $state
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export KUBECONFIG=$CONF/admin.kubeconfig" ;;
  load) [[ -n ${2:-} ]] || die "usage: local-cluster.sh load IMAGE"; load "$2" ;;
  *) echo "usage: scripts/local-cluster.sh up|down|status|env|load IMAGE" >&2; exit 2 ;;
esac
