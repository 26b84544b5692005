/**
 * Journey 13, the high-availability data tier: an instance whose PostgreSQL is a CloudNativePG `Cluster` with a
 * `Pooler` and continuous backups (`postgresql.cloudNativePG`) and whose Redis is a Sentinel set
 * (`redis.sentinel`), under the policy pack.
 *
 * - Without CloudNativePG's Cluster CRD, `pulumi up` fails naming the missing kind, and no Mastodon process or
 *   migration Job has been created.
 * - With the CRDs (cluster.sh loads them from CloudNativePG's module), the API server accepts the Cluster (with
 *   superuser access, naming the superuser's Secret), the Pooler and the ScheduledBackup as the component writes
 *   them, and the deploy completes.
 * - A version change of Mastodon leaves the Cluster, the Pooler and the owner's and superuser's Secrets untouched
 *   (same UID, generation and resourceVersion), and the Sentinel set's StatefulSet and claims too (journey 12
 *   shows the set itself).
 *
 * What is simulated: the operator cannot run here (its images are out of reach, and kwok runs no container), so
 * no PostgreSQL pod, PgBouncer pod or Service exists. A stand-in (`markReady`) does the one thing the deploy waits
 * for: it sets the Cluster's Ready condition, as the operator does once its primary accepts connections. kwok
 * then completes the migration Jobs and marks the Mastodon pods Ready. So this journey proves that the objects are
 * valid for the API server (its schema validation, the CRDs' CEL rules) and the order of the deploy; it does not
 * prove that CloudNativePG bootstraps the database from them, that PgBouncer pools, that the NetworkPolicies let
 * the operator and the instances talk (no CNI), that failover or the backups work, nor that CloudNativePG's
 * admission webhook (defaulting and its own validation) accepts them: the mock-runtime specs check them against
 * the CRD schema, and a real cluster with the operator checks the rest (docs/high-availability.md).
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { DEFAULT_VERSION } from "../../provider/versions";
import { kubectlJson, must, run, tail } from "./harness";
import { mastodonDeployments, migrationJobs } from "./01-first-deploy.live";
import { PREVIOUS_VERSION, POLICY_PACK, markFailed, newInstanceStack, policyConfigFile, stackOf, uids } from "./stacks";

const CNPG = { stack: "cloudnativepg", instance: "pgha", domain: "pgha.live.test" };
/** The simulated API server's address, which CloudNativePG's pods must reach (and the pack must allow). */
const API_SERVER = ["127.0.0.1/32"];
const CLUSTER_CRD = "clusters.postgresql.cnpg.io";
const CRD_COPY = path.join(__dirname, "../harness/crds/cloudnative-pg/postgresql.cnpg.io_clusters.yaml");

const postgresql = {
  cloudNativePG: {
    instances: 3,
    apiServerCidrs: API_SERVER,
    superuserAccess: true,
    pooler: { enabled: true },
    backup: { destinationPath: "s3://backups/pgha", endpointUrl: "http://minio.storage:9000", accessKeyId: "live", secretAccessKey: "live-secret" },
  },
};

function up(stack = stackOf(CNPG.stack)) {
  return stack.pulumi(["up", "--yes", "--skip-preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(stack.dir, API_SERVER)]);
}

/**
 * The operator's stand-in: once the Cluster exists, sets its Ready condition (through the status subresource, as
 * the operator writes it). Runs beside `pulumi up`, which waits for that condition.
 */
function markReady(namespace: string, name: string): { done: Promise<number> } {
  const status = JSON.stringify({
    status: {
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "ClusterIsReady",
        message: "set by the live suite, standing in for the CloudNativePG operator",
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      }],
    },
  });
  const script = [
    `for i in $(seq 1 600); do kubectl -n ${namespace} get cluster.postgresql.cnpg.io ${name} >/dev/null 2>&1 && break; sleep 1; done`,
    `kubectl -n ${namespace} patch cluster.postgresql.cnpg.io ${name} --subresource=status --type=merge -p '${status}'`,
  ].join("\n");
  const child = spawn("bash", ["-c", script], { stdio: "ignore", env: process.env });
  return { done: new Promise((resolve) => child.on("exit", (code) => resolve(code ?? -1))) };
}

/** The Sentinel set's StatefulSet (UID, generation) and its claims' UIDs, which an upgrade must not touch. */
function redisSetState(namespace: string) {
  const set = kubectlJson(["get", "statefulset", `${CNPG.instance}-redis-node`, "-n", namespace]);
  const claims = uids("persistentvolumeclaims", namespace);
  return {
    uid: set.metadata.uid as string,
    generation: set.metadata.generation as number,
    replicas: set.spec.replicas as number,
    claims: Object.fromEntries([...claims.entries()].filter(([name]) => name.startsWith(`data-${CNPG.instance}-redis-node-`))),
  };
}

function object(kind: string, name: string, namespace: string): any {
  return kubectlJson(["get", `${kind}.postgresql.cnpg.io`, name, "-n", namespace]);
}

describe("live 13: the high-availability data tier, CloudNativePG and Redis Sentinel", function () {
  this.timeout(25 * 60 * 1000);
  const namespace = CNPG.instance;
  let cluster: { uid: string; generation: number; resourceVersion: string };
  let pooler: { uid: string; generation: number; resourceVersion: string };
  let appSecret: string;
  let superuserSecret: string;
  let redisSet: ReturnType<typeof redisSetState>;

  it("fails naming the missing kind when CloudNativePG's Cluster CRD is absent, before any Mastodon process", () => {
    must("delete the Cluster CRD", "kubectl", ["delete", "crd", CLUSTER_CRD, "--wait=true"]);
    try {
      const stack = newInstanceStack(CNPG.stack, CNPG.instance, CNPG.domain, { version: PREVIOUS_VERSION, postgresql: JSON.stringify(postgresql), redisSentinel: "true" });
      const failed = up(stack);
      assert.notEqual(failed.status, 0, "pulumi up succeeded without the CRD");
      assert.match(tail(failed, 200), /postgresql\.cnpg\.io\/v1\/Cluster failed because the Kubernetes API server reported that the apiVersion for this resource does not exist/);
      assert.match(tail(failed, 200), /Verify that any required CRDs have been created/);
      assert.deepEqual(mastodonDeployments(namespace, CNPG.instance), [], "a Mastodon Deployment exists");
      assert.deepEqual(migrationJobs(namespace, CNPG.instance, "pre"), [], "a migration Job exists");
    } finally {
      // The same version's CRD as cluster.sh loads (the copy is checked against the pin).
      must("restore the Cluster CRD", "kubectl", ["apply", "--server-side", "-f", CRD_COPY]);
      // kubectl wait fails at once while the new CRD has no status yet: retried, as cluster.sh does.
      let established = false;
      for (let i = 0; i < 60 && !established; i++) {
        established = run("kubectl", ["wait", "--for", "condition=Established", `crd/${CLUSTER_CRD}`, "--timeout=2s"]).status === 0;
        if (!established) run("sleep", ["1"]);
      }
      assert.ok(established, `${CLUSTER_CRD} was not established again within a minute`);
    }
  });

  it("deploys with the pack once the CRDs exist: the API server accepts the Cluster, the Pooler and the ScheduledBackup", async () => {
    const ready = markReady(namespace, `${CNPG.instance}-postgresql`);
    const result = up();
    if (result.status !== 0) {
      markFailed(CNPG.stack, "pulumi up with the CRDs failed");
      throw new Error(`pulumi up of ${CNPG.stack} failed:\n${tail(result, 80)}`);
    }
    assert.equal(await ready.done, 0, "the stand-in could not mark the Cluster Ready");
    const c = object("cluster", `${CNPG.instance}-postgresql`, namespace);
    assert.equal(c.spec.instances, 3);
    assert.equal(c.spec.bootstrap.initdb.owner, "mastodon");
    assert.equal(c.spec.postgresql.parameters.max_connections, "100");
    assert.equal(c.spec.backup.barmanObjectStore.destinationPath, "s3://backups/pgha");
    const p = object("pooler", `${CNPG.instance}-pgbouncer`, namespace);
    assert.equal(p.spec.pgbouncer.poolMode, "transaction");
    assert.equal(p.spec.cluster.name, `${CNPG.instance}-postgresql`);
    const b = object("scheduledbackup", `${CNPG.instance}-postgresql`, namespace);
    assert.equal(b.spec.schedule, "0 30 3 * * *");
    const secret = kubectlJson(["get", "secret", `${CNPG.instance}-postgresql-app`, "-n", namespace]);
    assert.equal(secret.type, "kubernetes.io/basic-auth");
    assert.equal(Buffer.from(secret.data.username, "base64").toString(), "mastodon");
    const superuser = kubectlJson(["get", "secret", `${CNPG.instance}-postgresql-superuser`, "-n", namespace]);
    assert.equal(superuser.type, "kubernetes.io/basic-auth");
    assert.equal(Buffer.from(superuser.data.username, "base64").toString(), "postgres");
    assert.equal(Buffer.from(superuser.data.password, "base64").toString().length, 32);
    assert.equal(c.spec.enableSuperuserAccess, true);
    assert.deepEqual(c.spec.superuserSecret, { name: `${CNPG.instance}-postgresql-superuser` });

    // The processes go through PgBouncer, the migrations straight to the primary.
    const [pre] = migrationJobs(namespace, CNPG.instance, "pre");
    const dbHost = pre.spec.template.spec.containers[0].env.find((e: any) => e.name === "DB_HOST");
    assert.equal(dbHost.value, `${CNPG.instance}-postgresql-rw`);
    const web = mastodonDeployments(namespace, CNPG.instance).find((d) => d.metadata.labels["app.kubernetes.io/component"] === "web");
    const envMap = web.spec.template.spec.containers[0].envFrom.find((e: any) => e.configMapRef)?.configMapRef.name;
    const config = kubectlJson(["get", "configmap", envMap, "-n", namespace]);
    assert.equal(config.data.DB_HOST, `${CNPG.instance}-pgbouncer`);
    assert.equal(config.data.PREPARED_STATEMENTS, "false");

    cluster = { uid: c.metadata.uid, generation: c.metadata.generation, resourceVersion: c.metadata.resourceVersion };
    pooler = { uid: p.metadata.uid, generation: p.metadata.generation, resourceVersion: p.metadata.resourceVersion };
    appSecret = secret.metadata.uid;
    superuserSecret = superuser.metadata.uid;
    redisSet = redisSetState(namespace);
    assert.equal(redisSet.replicas, 3);
    assert.equal(Object.keys(redisSet.claims).length, 3, `the Sentinel set's claims: ${JSON.stringify(redisSet.claims)}`);
  });

  it(`upgrades Mastodon from ${PREVIOUS_VERSION} without touching the Cluster, the Pooler or the Secrets`, () => {
    const stack = stackOf(CNPG.stack);
    stack.must(["config", "rm", "version"]);
    const result = up(stack);
    if (result.status !== 0) throw new Error(`pulumi up to the default version failed:\n${tail(result, 80)}`);
    assert.equal(stack.outputs().version, DEFAULT_VERSION);
    const c = object("cluster", `${CNPG.instance}-postgresql`, namespace);
    assert.deepEqual({ uid: c.metadata.uid, generation: c.metadata.generation, resourceVersion: c.metadata.resourceVersion }, cluster, "the Cluster changed");
    const p = object("pooler", `${CNPG.instance}-pgbouncer`, namespace);
    assert.deepEqual({ uid: p.metadata.uid, generation: p.metadata.generation, resourceVersion: p.metadata.resourceVersion }, pooler, "the Pooler changed");
    assert.equal(kubectlJson(["get", "secret", `${CNPG.instance}-postgresql-app`, "-n", namespace]).metadata.uid, appSecret);
    assert.equal(kubectlJson(["get", "secret", `${CNPG.instance}-postgresql-superuser`, "-n", namespace]).metadata.uid, superuserSecret);
    assert.deepEqual(redisSetState(namespace), redisSet, "the Sentinel set's StatefulSet or claims changed");
    const [pre] = migrationJobs(namespace, CNPG.instance, "pre");
    assert.doesNotMatch(pre.spec.template.spec.containers[0].image, new RegExp(`:${PREVIOUS_VERSION}$`), "the newest pre-deployment Job runs the new image");
  });
});
