#!/usr/bin/env bash
# End-to-end test of examples/federation on a disposable cluster, for machines with the Pulumi CLI,
# kubectl, Docker and k3d (preferred) or kind:
#
#   1. create the cluster from a pinned node image (k3d: k3s with its Traefik; kind: pod/service
#      ranges set to k3s's, Traefik installed by the platform, reached like k3s's by port-forward:
#      the platform marks its LoadBalancer Service `pulumi.com/skipAwait`, so no load balancer
#      address is needed);
#   2. `pulumi up` the example at E2E_FROM_VERSION with the policy pack, on a local file backend in a
#      temporary directory;
#   3. wait for /health and /api/v1/streaming/health of both instances through Traefik, and check
#      that /nodeinfo/2.0 reports the version;
#   4. create an account on each (the stack's adminCommand outputs), make owner@one follow
#      owner@two, and check the follow arrives on two and the Accept comes back to one (and that
#      Traefik's access log shows the ActivityPub delivery);
#   5. change the version to E2E_TO_VERSION and check the migrations ran in Mastodon's order, from
#      the versions in schema_migrations before, after the pre-deployment Job (before the
#      post-deployment Job exists) and after the update, against the migration files the new
#      image ships: between the Jobs every new regular migration and no new post-deployment one
#      is recorded, after the update every one of both (the counts are printed too);
#   6. `pulumi destroy --exclude-protected` (the data claims and namespaces stay, protected), then delete the
#      cluster (also on failure, from the EXIT trap).
#
# Where a tool is missing it prints "e2e skipped: missing ..." and exits 0.
#
#   bash test/e2e/run.sh
#
# Environment: E2E_FROM_VERSION (default v4.5.2), E2E_TO_VERSION (default v4.6.6; one minor series
# later, as Mastodon requires), E2E_CLUSTER_TOOL (k3d or kind; default: k3d when installed),
# E2E_K3S_IMAGE (k3d's node image; default rancher/k3s:v1.33.4-k3s1: k3s ships Traefik v3 from
# v1.32.2 on), E2E_KIND_IMAGE (kind's node image; default kindest/node:v1.33.1, pinned by digest
# as kind v0.29.0 published it: a kind release other than v0.29.0 may want one of its own),
# E2E_KEEP=1 (on failure, keep the cluster and the work directory for a look).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=test/e2e/lib.sh
source "$HERE/lib.sh"

FROM_VERSION="${E2E_FROM_VERSION:-v4.5.2}"
TO_VERSION="${E2E_TO_VERSION:-v4.6.6}"
K3S_IMAGE="${E2E_K3S_IMAGE:-rancher/k3s:v1.33.4-k3s1}"
KIND_IMAGE="${E2E_KIND_IMAGE:-kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f}"
PROGRAM="$ROOT/examples/federation"
CLUSTER_CIDRS=("10.42.0.0/16" "10.43.0.0/16")

# ---------------------------------------------------------------------------------------------
# What this machine has.
# ---------------------------------------------------------------------------------------------
missing=()
have pulumi || missing+=("the Pulumi CLI (pulumi)")
have kubectl || missing+=("kubectl")
have curl || missing+=("curl")
have node || missing+=("node")
if ! have docker; then
  missing+=("docker")
elif ! docker info >/dev/null 2>&1; then
  missing+=("a running Docker engine (docker info fails)")
fi
tool="${E2E_CLUSTER_TOOL:-}"
if [[ -z "$tool" ]]; then
  if have k3d; then tool=k3d; elif have kind; then tool=kind; fi
fi
case "$tool" in
  k3d) have k3d || missing+=("k3d") ;;
  kind) have kind || missing+=("kind") ;;
  "") missing+=("k3d (preferred) or kind, to create a disposable cluster") ;;
  *) die "E2E_CLUSTER_TOOL: got \"$tool\"; expected k3d or kind" ;;
esac
[[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || missing+=("the repository's node_modules (npm ci)")
if ((${#missing[@]} > 0)); then
  echo "e2e skipped: missing $(join ", " "${missing[@]}")"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# A scratch directory, a kubeconfig and a Pulumi backend of our own; cleanup on any exit.
# ---------------------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mastodon-e2e.XXXXXX")"
CLUSTER="mastodon-e2e-$$"
STACK="e2e-$$"
export KUBECONFIG="$WORK/kubeconfig"
export PULUMI_BACKEND_URL="file://$WORK/state"
export PULUMI_CONFIG_PASSPHRASE="mastodon-e2e-$$"
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p "$WORK/state"
pids=()
cluster_created=false
stack_created=false

cleanup() {
  local status=$?
  set +eu
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  if ((status != 0)) && $cluster_created && [[ -s "$KUBECONFIG" ]]; then
    log "diagnostics:"
    kubectl get pods --all-namespaces -o wide >&2
    kubectl get jobs --all-namespaces >&2
    kubectl get events --all-namespaces --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 >&2
  fi
  if ((status != 0)) && [[ "${E2E_KEEP:-}" == 1 ]]; then
    log "kept for a look: cluster $CLUSTER ($tool), KUBECONFIG=$KUBECONFIG, PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL, stack $STACK"
    exit "$status"
  fi
  # The stack's state lives in $WORK; its settings file (Pulumi.<stack>.yaml) in the example folder.
  $stack_created && rm -f "$PROGRAM/Pulumi.$STACK.yaml"
  if $cluster_created; then
    log "deleting cluster $CLUSTER"
    if [[ "$tool" == k3d ]]; then k3d cluster delete "$CLUSTER" >&2; else kind delete cluster --name "$CLUSTER" >&2; fi
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pulumi_() { pulumi --cwd "$PROGRAM" --non-interactive "$@"; }
output() { pulumi_ stack output --stack "$STACK" --show-secrets "$1"; }

# ---------------------------------------------------------------------------------------------
# 1. The cluster.
# ---------------------------------------------------------------------------------------------
if [[ "$tool" == k3d ]]; then node_image=$K3S_IMAGE; else node_image=$KIND_IMAGE; fi
log "creating cluster $CLUSTER with $tool ($node_image)"
policy_config=()
if [[ "$tool" == k3d ]]; then
  cluster_created=true
  k3d cluster create "$CLUSTER" --image "$node_image" --wait --timeout 300s --kubeconfig-update-default=false --kubeconfig-switch-context=false >&2
  k3d kubeconfig get "$CLUSTER" >"$KUBECONFIG"
  # k3s installs Traefik (and its CRDs, which the instances' routes need) after the API is up.
  wait_for 300 "Traefik's CRDs" kubectl get crd ingressroutes.traefik.io middlewares.traefik.io
  wait_for 300 "k3s's Traefik" kubectl --namespace kube-system rollout status deployment/traefik --timeout=10s
else
  cat >"$WORK/kind.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnet: ${CLUSTER_CIDRS[0]}
  serviceSubnet: ${CLUSTER_CIDRS[1]}
EOF
  cluster_created=true
  kind create cluster --name "$CLUSTER" --image "$node_image" --config "$WORK/kind.yaml" --kubeconfig "$KUBECONFIG" --wait 300s >&2
  api_server="$(docker inspect --format '{{ (index .NetworkSettings.Networks "kind").IPAddress }}' "$CLUSTER-control-plane")/32"
  log "API server at $api_server"
  # The API server is outside the pod and service ranges: the platform's Traefik may reach it, and the pack is told.
  node -e '
    const cidrs = process.argv.slice(1);
    const names = ["networkpolicy-egress-outside-cluster", "workload-without-egress-policy", "host-network-pod", "external-name-service"];
    console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, { clusterCidrs: cidrs }])), null, 2));
  ' "${CLUSTER_CIDRS[@]}" "$api_server" >"$WORK/policy-config.json"
  policy_config=(--policy-pack-config "$WORK/policy-config.json")
fi

# ---------------------------------------------------------------------------------------------
# 2. The lab at FROM_VERSION, through the policy pack.
# ---------------------------------------------------------------------------------------------
stack_created=true
pulumi_ stack init "$STACK" >&2
pulumi_ config set --stack "$STACK" version "$FROM_VERSION"
if [[ "$tool" == kind ]]; then
  pulumi_ config set --stack "$STACK" installTraefik true
  pulumi_ config set --stack "$STACK" --path 'apiServerCidrs[0]' "$api_server"
fi

up() {
  pulumi_ up --stack "$STACK" --yes --skip-preview --policy-pack "$ROOT/policy" ${policy_config[@]+"${policy_config[@]}"}
}
log "pulumi up at $FROM_VERSION (log: $WORK/up-1.log)"
if ! up >"$WORK/up-1.log" 2>&1; then
  tail -n 80 "$WORK/up-1.log" >&2
  die "pulumi up at $FROM_VERSION failed"
fi

# The lab's DNS: k3s's CoreDNS imports coredns-custom when it starts; kind's knows no such import,
# so the server block is appended to its Corefile.
if [[ "$tool" == kind ]]; then
  kubectl --namespace kube-system get configmap coredns -o 'jsonpath={.data.Corefile}' >"$WORK/Corefile"
  printf '\n' >>"$WORK/Corefile"
  kubectl --namespace kube-system get configmap coredns-custom -o 'jsonpath={.data.fediverse\.test\.server}' >>"$WORK/Corefile"
  kubectl --namespace kube-system create configmap coredns --from-file=Corefile="$WORK/Corefile" --dry-run=client -o yaml |
    kubectl --namespace kube-system replace -f - >&2
fi
kubectl --namespace kube-system rollout restart deployment/coredns >&2
kubectl --namespace kube-system rollout status deployment/coredns --timeout=180s >&2

# ---------------------------------------------------------------------------------------------
# 3. Both instances healthy through Traefik, at FROM_VERSION.
# ---------------------------------------------------------------------------------------------
output caCertificate >"$WORK/ca.pem"
INGRESS_SERVICE="$(output ingressService)"
log "reaching the instances through $INGRESS_SERVICE"
for host in one.fediverse.test two.fediverse.test; do
  wait_for 600 "$host /health" lab_ok "$host" /health
  wait_for 300 "$host /api/v1/streaming/health" lab_ok "$host" /api/v1/streaming/health
  wait_for 120 "$host to report $FROM_VERSION in /nodeinfo/2.0" reports_version "$host" "$FROM_VERSION"
done

# ---------------------------------------------------------------------------------------------
# 4. Accounts, and a follow from one to two.
# ---------------------------------------------------------------------------------------------
for instance in one two; do
  log "creating owner@$instance.fediverse.test"
  bash -c "$(output "${instance}AdminCommand")" >&2
done

log "owner@one follows owner@two"
rails_runner one '
  account = Account.find_local!("owner")
  target = ResolveAccountService.new.call("owner@two.fediverse.test")
  raise "owner@two.fediverse.test did not resolve from one.fediverse.test" if target.nil?
  FollowService.new.call(account, target)
  puts "follow requested"
' >&2
wait_for 300 "the follow to arrive on two" \
  rails_says two 'puts Account.find_local!("owner").followers.where(domain: "one.fediverse.test").exists?' true
wait_for 300 "two's Accept to arrive on one" \
  rails_says one 'puts Account.find_local!("owner").following?(Account.find_remote!("owner", "two.fediverse.test"))' true

traefik_logged_inbox() {
  local logs
  logs=$(kubectl --namespace "${INGRESS_SERVICE%/*}" logs "deployment/${INGRESS_SERVICE#*/}" --since=30m) || return 1
  grep -q '"POST /[^ ]*inbox' <<<"$logs"
}
wait_for 120 "Traefik's access log to show the ActivityPub deliveries" traefik_logged_inbox

# ---------------------------------------------------------------------------------------------
# 5. The upgrade: migrations in Mastodon's order.
# ---------------------------------------------------------------------------------------------
# The versions in schema_migrations at FROM_VERSION. The first install's pre-deployment Job loaded
# the schema (db:prepare on the empty database, post-deployment migrations not skipped), which
# records every migration the image ships, post-deployment ones included, and its post-deployment
# Job found nothing left to run: no migration of FROM_VERSION may be missing now.
retry 5 2 migration_versions one >"$WORK/versions-before"
for dir in migrate post_migrate; do
  retry 5 2 image_migration_versions one "$FROM_VERSION" "$dir" >"$WORK/$dir-from"
  only_in "$WORK/$dir-from" "$WORK/versions-before" >"$WORK/$dir-pending-before"
  [[ ! -s "$WORK/$dir-pending-before" ]] ||
    die "db/$dir migrations of $FROM_VERSION missing from schema_migrations after the first install: $(words "$WORK/$dir-pending-before")"
done
before=$(count_lines "$WORK/versions-before")
log "schema_migrations on one at $FROM_VERSION: $before"

pulumi_ config set --stack "$STACK" version "$TO_VERSION"
log "pulumi up at $TO_VERSION (log: $WORK/up-2.log)"
up >"$WORK/up-2.log" 2>&1 &
up_pid=$!
pids+=("$up_pid")

# Between the steps: the new pre-deployment Job has completed and the post-deployment Job does not
# exist yet (Pulumi creates it only once every Deployment is rolled out). The versions are read
# after the Job completed and kept only if the post-deployment Job still does not exist after the
# read, so the snapshot cannot include anything that Job did.
between=""
while kill -0 "$up_pid" 2>/dev/null; do
  pre=$(retry 5 2 migration_job one pre "$TO_VERSION")
  post=$(retry 5 2 migration_job one post "$TO_VERSION")
  if [[ -n "$pre" && -z "$post" ]] && job_complete one "$pre"; then
    retry 5 2 migration_versions one >"$WORK/versions-between"
    post=$(retry 5 2 migration_job one post "$TO_VERSION")
    if [[ -z "$post" ]]; then
      between=$(count_lines "$WORK/versions-between")
      log "schema_migrations on one after the pre-deployment Job: $between"
      break
    fi
  fi
  sleep 2
done
if ! wait "$up_pid"; then
  tail -n 80 "$WORK/up-2.log" >&2
  die "pulumi up at $TO_VERSION failed"
fi
retry 5 2 migration_versions one >"$WORK/versions-after"
after=$(count_lines "$WORK/versions-after")
log "schema_migrations on one after the post-deployment Job: $after"
[[ -n "$between" ]] || die "never saw the pre-deployment Job complete before the post-deployment Job was created"

# What the new image ships (listed in a web pod of TO_VERSION, every one of which runs it now), and
# which of it the database lacked before the upgrade.
for dir in migrate post_migrate; do
  retry 5 2 image_migration_versions one "$TO_VERSION" "$dir" >"$WORK/$dir-to"
  [[ -s "$WORK/$dir-to" ]] || die "no migrations listed under /opt/mastodon/db/$dir in the $TO_VERSION image"
  only_in "$WORK/$dir-to" "$WORK/versions-before" >"$WORK/$dir-new"
done
new_regular=$(count_lines "$WORK/migrate-new")
new_post=$(count_lines "$WORK/post_migrate-new")
log "new in $TO_VERSION: $new_regular regular migrations, $new_post post-deployment migrations"

# After the pre-deployment Job: every new regular migration, and no new post-deployment one.
only_in "$WORK/migrate-new" "$WORK/versions-between" >"$WORK/regular-missing-between"
[[ ! -s "$WORK/regular-missing-between" ]] ||
  die "regular migrations of $TO_VERSION not run by the pre-deployment Job: $(words "$WORK/regular-missing-between")"
in_both "$WORK/post_migrate-new" "$WORK/versions-between" >"$WORK/post-early"
[[ ! -s "$WORK/post-early" ]] ||
  die "post-deployment migrations run before the rollout (by the pre-deployment Job): $(words "$WORK/post-early")"
# A new minor series always brings regular migrations: none means the pre-deployment step did nothing.
if [[ "$(minor_series "$FROM_VERSION")" != "$(minor_series "$TO_VERSION")" ]]; then
  ((new_regular > 0 && between > before)) ||
    die "no regular migration added by the pre-deployment Job ($before → $between) from $FROM_VERSION to $TO_VERSION"
fi
((new_post > 0)) ||
  log "note: $TO_VERSION ships no post-deployment migration that $FROM_VERSION lacked; their order went unchecked"

# After the post-deployment Job: every migration the new image ships.
for dir in migrate post_migrate; do
  only_in "$WORK/$dir-to" "$WORK/versions-after" >"$WORK/$dir-missing-after"
  [[ ! -s "$WORK/$dir-missing-after" ]] ||
    die "db/$dir migrations of $TO_VERSION missing from schema_migrations after the update: $(words "$WORK/$dir-missing-after")"
done
((before <= between && between <= after)) || die "schema_migrations out of order: $before → $between → $after"

pre=$(retry 5 2 migration_job one pre "$TO_VERSION")
post=$(retry 5 2 migration_job one post "$TO_VERSION")
[[ -n "$pre" && -n "$post" ]] || die "the migration Jobs of $TO_VERSION are gone (pre: \"$pre\", post: \"$post\")"
job_complete one "$post" || die "the post-deployment Job $post did not complete"
pre_done=$(retry 5 2 job_time one "$pre" completionTime)
post_started=$(retry 5 2 job_time one "$post" startTime)
[[ ! "$post_started" < "$pre_done" ]] || die "the post-deployment Job started ($post_started) before the pre-deployment Job completed ($pre_done)"
log "migrations in order: $before → $between (pre, done $pre_done: +$new_regular regular) → $after (post, started $post_started: +$new_post post-deployment)"

for host in one.fediverse.test two.fediverse.test; do
  wait_for 120 "$host to report $TO_VERSION in /nodeinfo/2.0" reports_version "$host" "$TO_VERSION"
  wait_for 120 "$host /api/v1/streaming/health at $TO_VERSION" lab_ok "$host" /api/v1/streaming/health
done

# ---------------------------------------------------------------------------------------------
# 6. Destroy; the EXIT trap deletes the cluster.
# ---------------------------------------------------------------------------------------------
# The data claims and namespaces are protected: destroy everything else, check that they are what is left,
# then drop the stack with them (the cluster goes next).
log "pulumi destroy --exclude-protected (log: $WORK/destroy.log)"
if ! pulumi_ destroy --stack "$STACK" --yes --skip-preview --exclude-protected >"$WORK/destroy.log" 2>&1; then
  tail -n 80 "$WORK/destroy.log" >&2
  die "pulumi destroy failed"
fi
for ns in one two; do
  kubectl get --namespace "$ns" pvc "$ns-postgresql-data" >/dev/null || die "the protected claim $ns/$ns-postgresql-data did not survive pulumi destroy"
done
pulumi_ stack rm --stack "$STACK" --yes --force >&2
stack_created=false
log "e2e passed: $FROM_VERSION → $TO_VERSION, one.fediverse.test ⇄ two.fediverse.test"
