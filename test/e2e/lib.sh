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

# reports_version HOST TAG: whether HOST reports TAG (v4.6.7 → "4.6.7", build metadata allowed).
reports_version() {
  ensure_port_forward
  local reported
  reported=$(nodeinfo_version "$1") || return 1
  [[ "$reported" == "${2#v}" || "$reported" == "${2#v}+"* ]]
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

# migrations NAMESPACE: rows of schema_migrations in the instance's embedded PostgreSQL.
migrations() {
  kubectl --namespace "$1" exec "$1-postgresql-0" -c postgresql -- \
    psql --username mastodon --dbname mastodon_production --tuples-only --no-align \
    --command 'SELECT count(*) FROM schema_migrations' | tr -d '[:space:]'
}

# migration_job NAMESPACE STEP TAG: "job.batch/<name>" of the STEP (pre|post) migration Job of TAG, or nothing.
migration_job() {
  kubectl --namespace "$1" get jobs -l "app.kubernetes.io/component=db-migrate,app.kubernetes.io/version=${3#v}" -o name |
    { grep -e "-db-migrate-$2-" || true; }
}

# job_complete NAMESPACE JOB: whether JOB has the condition Complete.
job_complete() {
  [[ "$(kubectl --namespace "$1" get "$2" -o 'jsonpath={.status.conditions[?(@.type=="Complete")].status}')" == True ]]
}

# job_time NAMESPACE JOB FIELD: a status timestamp of JOB (startTime, completionTime), RFC 3339 UTC.
job_time() {
  kubectl --namespace "$1" get "$2" -o "jsonpath={.status.$3}"
}
