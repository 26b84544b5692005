#!/usr/bin/env bash
# A simulated Kubernetes cluster on loopback, with no container runtime: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler, kwok for one node and the pod
# lifecycle, pre-created PersistentVolumes behind a default StorageClass, cert-manager's controller
# and CRDs, Traefik's CRDs, KEDA's and CloudNativePG's. The tools come from toolchain.sh's cache.
#
#   bash test/live/cluster.sh start   start it (in a new temp folder) and print the environment
#   bash test/live/cluster.sh env     print the environment of the running cluster
#   bash test/live/cluster.sh stop    stop it and remove its folder
#
# `eval "$(bash test/live/cluster.sh start)"` then gives a shell KUBECONFIG, PATH (the built tools
# first) and PULUMI_HOME, PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE for a local backend.
#
# What kwok simulates: pods are scheduled by the real scheduler and admitted by the real API server
# (PodSecurity included), then kwok marks them Running and Ready (no container runs, no probe is
# checked). Pods of a Job succeed a moment later, except those whose image comes from a repository
# named `.../failing-migration` (kwok-stages.yaml: the failing-migration journey), which fail.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/live/paths.sh
source "$HERE/paths.sh"
STATE_FILE="${LIVE_CLUSTER_STATE:-${TMPDIR:-/tmp}/pulumi-mastodon-live-cluster}"
# Loopback ports of the control plane; override if they are taken.
ETCD_PORT="${LIVE_ETCD_PORT:-23790}"
APISERVER_PORT="${LIVE_APISERVER_PORT:-16443}"
# k3s's ranges, as the examples and the pack's default config expect.
POD_CIDR="10.42.0.0/16"
SERVICE_CIDR="10.43.0.0/16"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

print_env() {
  local dir="$1"
  cat <<EOF
export LIVE_CLUSTER_DIR="$dir"
export KUBECONFIG="$dir/kubeconfig"
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$dir/pulumi-home"
export PULUMI_BACKEND_URL="file://$dir/state"
export PULUMI_CONFIG_PASSPHRASE="live-suite"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
}

stop() {
  [[ -f "$STATE_FILE" ]] || { log "no cluster running"; return 0; }
  local dir
  dir="$(cat "$STATE_FILE")"
  if [[ -d "$dir/pids" ]]; then
    for pidfile in "$dir"/pids/*; do
      [[ -f "$pidfile" ]] || continue
      kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 1
    for pidfile in "$dir"/pids/*; do
      [[ -f "$pidfile" ]] || continue
      kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    done
  fi
  if [[ "${LIVE_KEEP:-}" == "1" ]]; then
    log "kept $dir (LIVE_KEEP=1)"
  else
    rm -rf "$dir"
  fi
  rm -f "$STATE_FILE"
  log "stopped"
}

# run NAME CMD... : starts CMD in the background, logging to logs/NAME.log.
run() {
  local name="$1"
  shift
  "$@" >"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/pids/$name"
}

# wait_for WHAT SECONDS CMD... : retries CMD until it succeeds.
wait_for() {
  local what="$1" limit="$2"
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what (logs in $DIR/logs)"
    sleep 1
  done
}

module_dir() { # module_dir MODULE VERSION: the module's folder in the Go module cache (downloads it once)
  (cd "$CACHE/src" && GOFLAGS=-mod=mod GOPROXY="${GOPROXY:-https://proxy.golang.org}" go mod download -json "$1@$2" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

start() {
  [[ -f "$STATE_FILE" ]] && die "a cluster is already running ($(cat "$STATE_FILE")); stop it first"
  bash "$HERE/toolchain.sh" --check >/dev/null || die "tools missing: run bash test/live/toolchain.sh"
  command -v openssl >/dev/null || die "openssl missing"
  command -v curl >/dev/null || die "curl missing"
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-mastodon-live.XXXXXX")"
  echo "$DIR" >"$STATE_FILE"
  # A start that fails half way stops what it started (LIVE_KEEP=1 keeps the logs).
  trap 'log "start failed; stopping"; LIVE_KEEP=1 stop' ERR
  trap 'LIVE_KEEP=1 stop' EXIT
  mkdir -p "$DIR"/{logs,pids,pki,etcd,pulumi-home,state,volumes}
  export PATH="$BIN:$PATH"
  local pki="$DIR/pki"

  # Service-account signing key, and a static admin token (group system:masters) for every client.
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local token
  token="$(openssl rand -hex 24)"
  echo "$token,admin,admin,system:masters" >"$pki/tokens.csv"

  run etcd etcd --data-dir "$DIR/etcd" --name live \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "live=http://127.0.0.1:$((ETCD_PORT + 1))" --unsafe-no-fsync --quota-backend-bytes 4294967296 --watch-progress-notify-interval 5s
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  # PodSecurity is among the API server's default admission plugins: a namespace's
  # pod-security.kubernetes.io/enforce label is enforced for real.
  run kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" --cert-dir "$pki" \
    --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" --api-audiences https://kubernetes.default.svc \
    --allow-privileged=true --endpoint-reconciler-type none --profiling=false
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: live
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $token
contexts:
- name: live
  context: {cluster: live, user: admin, namespace: default}
current-context: live
EOF
  export KUBECONFIG="$DIR/kubeconfig"
  wait_for kube-apiserver 90 kubectl get --raw /readyz

  run kube-controller-manager kube-controller-manager --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --bind-address 127.0.0.1 --secure-port "$((APISERVER_PORT + 1))" \
    --leader-elect=false --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/apiserver.crt" \
    --use-service-account-credentials=false --cluster-cidr "$POD_CIDR" --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route' \
    --concurrent-deployment-syncs 10 --concurrent-statefulset-syncs 10 --concurrent-job-syncs 10
  run kube-scheduler kube-scheduler --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" \
    --authorization-kubeconfig "$KUBECONFIG" --bind-address 127.0.0.1 --secure-port "$((APISERVER_PORT + 2))" \
    --leader-elect=false

  # kwok: the node and the pod lifecycle, with kwok's own stages (from its module) plus the failing
  # stage of the failing-migration scenario.
  local kwok_dir
  kwok_dir="$(module_dir sigs.k8s.io/kwok "$KWOK_VERSION")"
  [[ -n "$kwok_dir" ]] || die "cannot read sigs.k8s.io/kwok@$KWOK_VERSION from the Go module cache"
  {
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml; do
      [[ -f "$kwok_dir/kustomize/stage/$f" ]] && { cat "$kwok_dir/kustomize/stage/$f"; echo "---"; }
    done
    cat "$HERE/kwok-stages.yaml"
    # kwok's pod stages wait 1 s plus a random jitter of up to 5 s at each step (created, init containers,
    # ready, complete): realistic spread the suite does not need, and 3 s on average per step of every
    # chain of awaited pods. Each step waits its 1 s, no more: the same order, faster and repeatable.
    for f in "$kwok_dir"/kustomize/stage/pod/general/*.yaml; do
      case "$(basename "$f")" in kustomization.yaml) continue ;; esac
      sed 's/^\(    jitterDurationMilliseconds:\) 5000$/\1 1000/' "$f"
      echo "---"
    done
  } >"$DIR/kwok-config.yaml"
  run kwok kwok --kubeconfig "$KUBECONFIG" --config "$DIR/kwok-config.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr "$POD_CIDR" --node-ip 127.0.0.1 --server-address 127.0.0.1:0 --node-lease-duration-seconds 40
  wait_for "the default namespace" 60 kubectl get serviceaccount default -n default
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: live-node
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: live-node, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
spec: {}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 500Gi}
  capacity: {cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 500Gi}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: $KUBERNETES_VERSION}
EOF
  wait_for "the node to be Ready" 60 kubectl wait --for=condition=Ready node/live-node --timeout=2s
  # The API server taints a new node not-ready; the node lifecycle controller, which would lift it,
  # is off (kwok's node has no kubelet to watch over).
  kubectl taint nodes live-node node.kubernetes.io/not-ready- >/dev/null 2>&1 || true

  # Storage: a default StorageClass of pre-created volumes, which the PV controller binds. Claims are retained
  # (protected, Retain) for the whole run: each journey's instance keeps 4 to 6 (data, media, backups, search,
  # a Sentinel set's), so there are enough for every journey of the suite with room to spare.
  {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: live
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
allowVolumeExpansion: true
EOF
    for i in $(seq 1 64); do
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: live-pv-$i}
spec:
  capacity: {storage: 200Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: live
  hostPath: {path: "$DIR/volumes/$i"}
EOF
    done
  } | kubectl apply -f - >/dev/null

  # Traefik's CRDs, from the Traefik module at the version the platform installs.
  local traefik_dir
  traefik_dir="$(module_dir github.com/traefik/traefik/v3 "$TRAEFIK_VERSION")"
  kubectl apply --server-side -f "$traefik_dir/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" >/dev/null
  # KEDA's CRDs (no operator: its images cannot be pulled), from its module, so ScaledObjects are validated.
  local keda_dir
  keda_dir="$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")"
  kubectl apply --server-side -f "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml" \
    -f "$keda_dir/config/crd/bases/keda.sh_triggerauthentications.yaml" >/dev/null
  # CloudNativePG's CRDs (Cluster, Pooler, ScheduledBackup and the rest), from its module: the API server
  # validates the objects of the CloudNativePG journey; the operator itself cannot run here (no images).
  local cnpg_dir
  cnpg_dir="$(module_dir github.com/cloudnative-pg/cloudnative-pg "$CLOUDNATIVEPG_VERSION")"
  [[ -n "$cnpg_dir" ]] || die "cannot read github.com/cloudnative-pg/cloudnative-pg@$CLOUDNATIVEPG_VERSION from the Go module cache"
  kubectl apply --server-side -f "$cnpg_dir/config/crd/bases/" >/dev/null
  wait_for "CloudNativePG's CRDs" 60 kubectl wait --for condition=Established crd/clusters.postgresql.cnpg.io --timeout=2s
  # cert-manager: its CRDs from its module, its controller with the namespace its chart uses.
  local cm_dir
  cm_dir="$(module_dir github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION")"
  kubectl create namespace cert-manager >/dev/null
  for crd in "$cm_dir"/deploy/crds/crd-*.yaml; do
    # The chart's template markers (a conditional around the whole file, a labels block) are dropped.
    grep -v '{{' "$crd" | kubectl apply --server-side -f - >/dev/null
  done
  run cert-manager cert-manager-controller --kubeconfig "$KUBECONFIG" --leader-elect=false \
    --cluster-resource-namespace cert-manager --controllers '*' --enable-certificate-owner-ref=false
  wait_for "cert-manager's CRDs" 60 kubectl wait --for condition=Established crd/certificates.cert-manager.io --timeout=2s
  trap - ERR EXIT
  log "running in $DIR"
  print_env "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) [[ -f "$STATE_FILE" ]] || die "no cluster running"; print_env "$(cat "$STATE_FILE")" ;;
  *) die "usage: bash test/live/cluster.sh start|env|stop" ;;
esac
