# Helpers of test/e2e/run.sh: logging, waiting, and reaching the lab's instances from outside the
# cluster. Sourced, not run. Expects WORK (a scratch directory) and KUBECONFIG to be set, and the
# array `pids` (background processes the caller's cleanup kills).
# shellcheck shell=bash

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
  log "FAILED: $*"
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# join SEPARATOR WORD...: the words joined by SEPARATOR.
join() {
  local separator=$1 first=$2
  shift 2
  printf '%s' "$first" "${@/#/$separator}"
}

# retry ATTEMPTS DELAY COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times, DELAY
# seconds apart, so that one API hiccup does not abort a `set -e` script in `x=$(kubectl ...)`.
# Prints the stdout of the attempt that succeeded only (a failed attempt's partial output is
# dropped); returns the last attempt's status. Not for predicates: "not yet" is a failure too.
retry() {
  local attempts=$1 delay=$2 attempt=1 out status
  shift 2
  while :; do
    if out=$("$@"); then
      [[ -z "$out" ]] || printf '%s\n' "$out"
      return 0
    else
      status=$?
    fi
    ((attempt < attempts)) || return "$status"
    log "attempt $attempt/$attempts failed (status $status), retrying in ${delay}s: $*"
    attempt=$((attempt + 1))
    sleep "$delay"
  done
}

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND (quietly, in this shell) every E2E_POLL
# seconds (default 5) until it succeeds; fails the test after SECONDS.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  log "waiting for $what (up to ${timeout}s)"
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${timeout}s waiting for $what"
    sleep "${E2E_POLL:-5}"
  done
  log "ok: $what"
}

# A free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The ingress controller's Service ("namespace/name") and the local port forwarded to its 443.
INGRESS_SERVICE=""
PF_PORT=""
PF_PID=""

# ensure_port_forward: (re)starts `kubectl port-forward` to the ingress Service when it is not
# running (it exits when the Traefik pod it picked goes away, e.g. while k3s reconfigures Traefik).
# Call it in the main shell, not in $(...), so that its process is tracked and killed on exit.
ensure_port_forward() {
  if [[ -n "$PF_PID" ]] && kill -0 "$PF_PID" 2>/dev/null; then return 0; fi
  PF_PORT=$(free_port)
  kubectl --namespace "${INGRESS_SERVICE%/*}" port-forward "service/${INGRESS_SERVICE#*/}" "$PF_PORT:443" >>"$WORK/port-forward.log" 2>&1 &
  PF_PID=$!
  pids+=("$PF_PID")
  sleep 2
}

# lab_get HOST PATH: GET https://HOST/PATH through Traefik, trusting only the lab's CA. The URL
# keeps the real host name (SNI and Host header) and only the connection goes to the forward.
lab_get() {
  curl --fail --silent --show-error --max-time 20 --cacert "$WORK/ca.pem" \
    --connect-to "$1:443:127.0.0.1:$PF_PORT" "https://$1$2"
}

# lab_ok HOST PATH: whether HOST answers PATH with a success status.
lab_ok() {
  ensure_port_forward
  lab_get "$1" "$2" >/dev/null
}

# nodeinfo_version HOST: the software version HOST reports in /nodeinfo/2.0.
nodeinfo_version() {
  lab_get "$1" /nodeinfo/2.0 | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).software.version));'
}

# reports_version HOST TAG: whether HOST reports TAG (v4.6.6 → "4.6.6", build metadata allowed).
reports_version() {
  ensure_port_forward
  local reported
  reported=$(nodeinfo_version "$1") || return 1
  [[ "$reported" == "${2#v}" || "$reported" == "${2#v}+"* ]]
}

# minor_series TAG: the release series of TAG (v4.6.6 → "4.6", v4.6.0-rc.1 → "4.6"), or TAG itself.
minor_series() {
  if [[ "$1" =~ ^v?([0-9]+\.[0-9]+) ]]; then printf '%s' "${BASH_REMATCH[1]}"; else printf '%s' "$1"; fi
}

# web_deployment NAMESPACE: "deployment/<name>" of the instance's web process.
web_deployment() {
  printf 'deployment/%s' "$(kubectl --namespace "$1" get deployments -l app.kubernetes.io/component=web -o 'jsonpath={.items[0].metadata.name}')"
}

# rails_runner NAMESPACE RUBY: runs RUBY with `rails runner` in the instance's web container; prints its stdout.
rails_runner() {
  local deployment
  deployment=$(web_deployment "$1")
  kubectl --namespace "$1" exec "$deployment" -c web -- bin/rails runner "$2"
}

# rails_says NAMESPACE RUBY EXPECTED: whether RUBY's last line of output is EXPECTED.
rails_says() {
  local out
  out=$(rails_runner "$1" "$2") || return 1
  [[ "$(printf '%s\n' "$out" | tail -n 1)" == "$3" ]]
}

# psql_query INSTANCE SQL: runs SQL in the instance's embedded PostgreSQL (the StatefulSet
# <instance>-postgresql in the namespace of the same name; user and database as the instance's
# DB_USER and DB_NAME default them); prints the rows, one a line, unaligned, without headers.
psql_query() {
  kubectl --namespace "$1" exec "statefulset/$1-postgresql" -c postgresql -- \
    psql --username mastodon --dbname mastodon_production --tuples-only --no-align --command "$2"
}

# migration_versions INSTANCE: the versions in schema_migrations, one a line, sorted (LC_ALL=C).
migration_versions() {
  psql_query "$1" 'SELECT version FROM schema_migrations' | sed -e 's/[[:space:]]//g' -e '/^$/d' | LC_ALL=C sort -u
}

# running_pod NAMESPACE COMPONENT TAG: the name of one running, not terminating, pod of COMPONENT
# at TAG (by the labels app.kubernetes.io/component and app.kubernetes.io/version); fails if none.
running_pod() {
  local pods
  pods=$(kubectl --namespace "$1" get pods -l "app.kubernetes.io/component=$2,app.kubernetes.io/version=${3#v}" \
    --field-selector=status.phase=Running \
    -o 'go-template={{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}') || return 1
  [[ -n "$pods" ]] || return 1
  printf '%s\n' "${pods%%$'\n'*}"
}

# image_migration_versions NAMESPACE TAG DIR: the versions (leading digits of the file names) of the
# migrations under /opt/mastodon/db/DIR (migrate: regular, post_migrate: post-deployment) in the
# image of TAG, listed in a running web pod of TAG; one a line, sorted (LC_ALL=C).
image_migration_versions() {
  local pod
  pod=$(running_pod "$1" web "$2") || return 1
  kubectl --namespace "$1" exec "$pod" -c web -- ls -1 "/opt/mastodon/db/$3" |
    sed -n 's/^\([0-9][0-9]*\)_.*/\1/p' | LC_ALL=C sort -u
}

# only_in A B: the lines of A that are not in B (both files sorted with LC_ALL=C).
only_in() { LC_ALL=C comm -23 "$1" "$2"; }

# in_both A B: the lines in both A and B (both files sorted with LC_ALL=C).
in_both() { LC_ALL=C comm -12 "$1" "$2"; }

# count_lines FILE: the number of lines of FILE.
count_lines() { wc -l <"$1" | tr -d '[:space:]'; }

# words FILE: the lines of FILE on one line, for a message.
words() { tr '\n' ' ' <"$1" | sed 's/ $//'; }

# migration_job NAMESPACE STEP TAG: "job.batch/<name>" of the STEP (pre|post) migration Job of TAG, or nothing.
migration_job() {
  kubectl --namespace "$1" get jobs -l "app.kubernetes.io/component=db-migrate,app.kubernetes.io/version=${3#v}" -o name |
    { grep -e "-db-migrate-$2-" || true; }
}

# job_complete NAMESPACE JOB: whether JOB has the condition Complete (status 2: JOB could not be read).
job_complete() {
  local complete
  complete=$(retry 5 2 kubectl --namespace "$1" get "$2" -o 'jsonpath={.status.conditions[?(@.type=="Complete")].status}') || return 2
  [[ "$complete" == True ]]
}

# job_time NAMESPACE JOB FIELD: a status timestamp of JOB (startTime, completionTime), RFC 3339 UTC.
job_time() {
  kubectl --namespace "$1" get "$2" -o "jsonpath={.status.$3}"
}
