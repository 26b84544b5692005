import * as assert from "node:assert/strict";
import { runPolicies } from "../../policy/check";
import { MastodonClusterArgs } from "../../provider";
import { CLOUDNATIVEPG_CONNECTIONS, MIGRATION_CONNECTIONS, RESERVED_CONNECTIONS, parseArgs } from "../../provider/args";
import { MastodonPlatform } from "../../provider";
import { RecordedResource, runProgram } from "../harness/mocks";
import { MASTODON_COMPONENTS } from "../../provider/names";
import { objectErrors, schemaErrors } from "../harness/schemas";
import { KIND, Stack, deploy, valueOf } from "../harness/stack";

const CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const POOLER = "kubernetes:postgresql.cnpg.io/v1:Pooler";
const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const API_SERVER = ["192.168.1.10/32"];

const cnpgArgs = (cloudNativePG: Record<string, unknown> = {}, rest: Partial<MastodonClusterArgs> = {}): MastodonClusterArgs => ({
  domain: "social.example",
  ...rest,
  postgresql: { ...rest.postgresql, cloudNativePG: { apiServerCidrs: API_SERVER, ...cloudNativePG } },
});

const backup = { destinationPath: "s3://backups/social", endpointUrl: "http://minio.storage:9000", accessKeyId: "key", secretAccessKey: "secret" };

function findings(resources: RecordedResource[], clusterCidrs = ["10.42.0.0/16", "10.43.0.0/16", ...API_SERVER]) {
  return runPolicies(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })), { clusterCidrs });
}

function env(stack: Stack): Record<string, string> {
  return stack.get(KIND.ConfigMap, "social-env").inputs.data;
}

function container(workload: RecordedResource) {
  return workload.inputs.spec.template.spec.containers[0];
}

function refusal(args: MastodonClusterArgs): string {
  try {
    parseArgs("social", args);
  } catch (e: any) {
    return e.message;
  }
  assert.fail("the args were accepted");
}

describe("PostgreSQL on CloudNativePG", () => {
  describe("without a pooler", () => {
    let stack: Stack;
    let secretsExport: string;
    before(async () => {
      const deployed = await deploy(cnpgArgs({}, { postgresql: { maxConnections: 120, storageSize: "20Gi", storageClassName: "fast" } }));
      stack = deployed.stack;
      secretsExport = await valueOf(deployed.cluster.secretsExport);
    });
    const cluster = () => stack.get(CLUSTER, "social-postgresql");

    it("creates a Cluster of two instances instead of the embedded server", () => {
      assert.equal(stack.find(KIND.StatefulSet, "social-postgresql"), undefined);
      assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-postgresql-data"), undefined);
      const spec = cluster().inputs.spec;
      assert.equal(spec.instances, 2);
      assert.deepEqual(spec.storage, { size: "20Gi", storageClass: "fast" });
      assert.deepEqual(spec.postgresql.parameters, { max_connections: "120" });
      assert.equal(spec.imageName, "ghcr.io/cloudnative-pg/postgresql:17.10-system-trixie");
      assert.deepEqual(spec.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } });
      assert.equal(spec.enableSuperuserAccess, false);
      assert.equal(spec.affinity.enablePodAntiAffinity, true);
    });

    it("bootstraps Mastodon's database owned by mastodon, with the instance's stable password in a basic-auth Secret", () => {
      const initdb = cluster().inputs.spec.bootstrap.initdb;
      assert.equal(initdb.database, "mastodon_production");
      assert.equal(initdb.owner, "mastodon");
      const secret = stack.get(KIND.Secret, "social-postgresql-app");
      assert.equal(initdb.secret.name, secret.state.metadata.name);
      assert.equal(secret.inputs.type, "kubernetes.io/basic-auth");
      assert.equal(secret.inputs.stringData.username, "mastodon");
      assert.ok(secret.secretInputPaths.includes("stringData.password") || secret.secretInputPaths.includes("stringData"), `not secret: ${secret.secretInputPaths}`);
      const envSecret = stack.get(KIND.Secret, "social-env");
      assert.equal(secret.inputs.stringData.password, envSecret.inputs.stringData.DB_PASS);
      // Kept with the other secrets a restore needs.
      assert.equal(JSON.parse(secretsExport).postgresqlPassword, secret.inputs.stringData.password);
    });

    it("gives the superuser no password by default: the Cluster names no superuser Secret", () => {
      const spec = cluster().inputs.spec;
      assert.equal(spec.enableSuperuserAccess, false);
      assert.equal(spec.superuserSecret, undefined);
      // The Secret waits, unnamed, so that switching access on later keeps one password (see below).
      const secret = stack.get(KIND.Secret, "social-postgresql-superuser");
      assert.equal(secret.inputs.stringData.username, "postgres");
      assert.equal(secret.retainOnDelete, true);
      assert.equal(JSON.parse(secretsExport).postgresqlSuperuserPassword, secret.inputs.stringData.password);
    });

    it("protects and retains the Cluster and waits for it to be Ready", () => {
      assert.equal(cluster().protect, true);
      assert.equal(cluster().retainOnDelete, true);
      assert.equal(cluster().inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
      assert.equal(stack.get(KIND.Secret, "social-postgresql-app").retainOnDelete, true);
    });

    it("points every process at the primary's Service, with prepared statements", () => {
      assert.equal(env(stack).DB_HOST, "social-postgresql-rw");
      assert.equal(env(stack).PREPARED_STATEMENTS, "true");
      for (const job of stack.ofType(KIND.Job)) {
        const dbHost = container(job).env.find((e: any) => e.name === "DB_HOST");
        assert.equal(dbHost.value, "social-postgresql-rw");
      }
    });

    it("runs the pre-deployment migration only after the Cluster", () => {
      const pre = stack.ofType(KIND.Job).find((j) => j.name === "social-db-migrate-pre")!;
      assert.ok(stack.dependsOn(pre, cluster()));
    });

    it("has no pg_dump CronJob: backups are CloudNativePG's", () => {
      assert.equal(stack.find("kubernetes:batch/v1:CronJob", "social-backup"), undefined);
      assert.equal(stack.find(SCHEDULED_BACKUP, "social-postgresql"), undefined);
      assert.equal(cluster().inputs.spec.backup, undefined);
    });

    it("isolates the PostgreSQL pods: the operator, their peers and Mastodon in; DNS, peers and the API server out", () => {
      const policy = stack.get(KIND.NetworkPolicy, "social-postgresql").inputs.spec;
      assert.deepEqual(policy.podSelector.matchLabels, { "cnpg.io/cluster": "social-postgresql" });
      assert.deepEqual(policy.policyTypes, ["Ingress", "Egress"]);
      const [peers, clients] = policy.ingress;
      assert.deepEqual(peers.ports.map((p: any) => p.port), [5432, 8000]);
      assert.deepEqual(peers.from[1].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "cnpg-system" });
      assert.deepEqual(peers.from[1].podSelector.matchLabels, { "app.kubernetes.io/name": "cloudnative-pg" });
      assert.deepEqual(clients.from[0].podSelector.matchExpressions[0].values, MASTODON_COMPONENTS);
      assert.deepEqual(clients.ports, [{ protocol: "TCP", port: 5432 }]);
      assert.deepEqual(policy.egress[2], { to: [{ ipBlock: { cidr: "192.168.1.10/32" } }] });
      const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec.egress[0];
      assert.deepEqual(data.to[0].podSelector.matchLabels, { "cnpg.io/cluster": "social-postgresql" });
    });

    it("passes its CRD's schema and every other object's", async () => {
      assert.deepEqual(await schemaErrors(stack.resources), []);
    });

    it("passes the policy pack with the API server's address among its CIDRs, which sees the Cluster as a workload", () => {
      assert.deepEqual(findings(stack.resources), []);
      const unfenced = findings(stack.resources.filter((r) => !(r.type === KIND.NetworkPolicy && r.name === "social-postgresql")));
      assert.deepEqual(unfenced.map((f) => f.message.split(" ")[0]), ["Cluster/social/social-postgresql"]);
      const outside = findings(stack.resources, ["10.42.0.0/16", "10.43.0.0/16"]);
      assert.ok(outside.some((f) => f.policy === "networkpolicy-egress-outside-cluster" && f.message.includes("192.168.1.10/32")), "the API server's address must be in the pack's CIDRs");
    });
  });

  describe("with a pooler and backups", () => {
    let stack: Stack;
    before(async () => {
      ({ stack } = await deploy(cnpgArgs({ instances: 3, pooler: { enabled: true }, backup })));
    });

    it("creates a transaction-mode Pooler of the Cluster whose pools fit max_connections", () => {
      const spec = stack.get(POOLER, "social-pgbouncer").inputs.spec;
      assert.deepEqual(spec.cluster, { name: "social-postgresql" });
      assert.equal(spec.instances, 2);
      assert.equal(spec.pgbouncer.poolMode, "transaction");
      const pool = Number(spec.pgbouncer.parameters.default_pool_size);
      assert.equal(spec.pgbouncer.parameters.max_db_connections, String(pool));
      // Every pod's pool and auth connection, a direct migration Job and CloudNativePG's own, within max_connections.
      assert.ok(spec.instances * (pool + 1) + MIGRATION_CONNECTIONS + CLOUDNATIVEPG_CONNECTIONS + RESERVED_CONNECTIONS <= 100);
      assert.equal(pool, Math.floor((100 - RESERVED_CONNECTIONS - MIGRATION_CONNECTIONS - CLOUDNATIVEPG_CONNECTIONS - 2) / 2));
      assert.ok(Number(spec.pgbouncer.parameters.max_client_conn) >= 50, "one pod may receive every client");
      assert.deepEqual(spec.template.spec.containers[0].resources.limits, { cpu: "500m", memory: "128Mi" });
    });

    it("sends the processes through PgBouncer without prepared statements, and the migrations to the primary", () => {
      assert.equal(env(stack).DB_HOST, "social-pgbouncer");
      assert.equal(env(stack).PREPARED_STATEMENTS, "false");
      const migrations = stack.ofType(KIND.Job).filter((j) => /db-migrate/.test(j.name));
      assert.equal(migrations.length, 2);
      for (const job of migrations) assert.equal(container(job).env.find((e: any) => e.name === "DB_HOST").value, "social-postgresql-rw");
    });

    it("lets Mastodon reach PgBouncer, and only the migration Jobs reach PostgreSQL", () => {
      const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec.egress[0];
      assert.deepEqual(data.to[0].podSelector.matchLabels, { "cnpg.io/poolerName": "social-pgbouncer" });
      const direct = stack.get(KIND.NetworkPolicy, "social-db-migrate-postgresql").inputs.spec;
      assert.deepEqual(direct.podSelector.matchExpressions[0].values, ["db-migrate"]);
      const postgres = stack.get(KIND.NetworkPolicy, "social-postgresql").inputs.spec;
      assert.deepEqual(postgres.ingress[1].from[0].podSelector.matchExpressions[0].values, ["db-migrate"]);
      assert.deepEqual(postgres.ingress[1].from[1].podSelector.matchLabels, { "cnpg.io/poolerName": "social-pgbouncer" });
      const pgbouncer = stack.get(KIND.NetworkPolicy, "social-pgbouncer").inputs.spec;
      assert.deepEqual(pgbouncer.policyTypes, ["Ingress", "Egress"]);
      assert.deepEqual(pgbouncer.egress[1].ports, [{ protocol: "TCP", port: 5432 }]);
    });

    it("archives to object storage through Barman Cloud, with a daily base backup and retention", () => {
      const spec = stack.get(CLUSTER, "social-postgresql").inputs.spec;
      assert.equal(spec.instances, 3);
      assert.equal(spec.backup.retentionPolicy, "30d");
      const store = spec.backup.barmanObjectStore;
      assert.equal(store.destinationPath, "s3://backups/social");
      assert.equal(store.endpointURL, "http://minio.storage:9000");
      const secret = stack.get(KIND.Secret, "social-postgresql-backup");
      assert.equal(store.s3Credentials.accessKeyId.name, secret.state.metadata.name);
      assert.deepEqual(Object.keys(secret.inputs.stringData).sort(), [store.s3Credentials.accessKeyId.key, store.s3Credentials.secretAccessKey.key].sort());
      assert.ok(secret.secretInputPaths.some((p) => p.startsWith("stringData")));
      const scheduled = stack.get(SCHEDULED_BACKUP, "social-postgresql").inputs.spec;
      assert.equal(scheduled.schedule, "0 30 3 * * *");
      assert.deepEqual(scheduled.cluster, { name: "social-postgresql" });
      assert.equal(scheduled.method, "barmanObjectStore");
      const egress = stack.get(KIND.NetworkPolicy, "social-postgresql").inputs.spec.egress;
      assert.deepEqual(egress[3].ports, [{ protocol: "TCP", port: 9000 }]);
      assert.deepEqual(egress[3].to[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "storage" });
    });

    it("passes the CRDs' schemas and the policy pack", async () => {
      assert.deepEqual(await schemaErrors(stack.resources), []);
      assert.deepEqual(findings(stack.resources), []);
    });
  });

  describe("with superuser access", () => {
    let stack: Stack;
    let secretsExport: string;
    before(async () => {
      const deployed = await deploy(cnpgArgs({ superuserAccess: true }));
      stack = deployed.stack;
      secretsExport = await valueOf(deployed.cluster.secretsExport);
    });

    it("names a basic-auth Secret of postgres and the stable superuser password as the Cluster's superuserSecret", () => {
      const spec = stack.get(CLUSTER, "social-postgresql").inputs.spec;
      const secret = stack.get(KIND.Secret, "social-postgresql-superuser");
      assert.equal(spec.enableSuperuserAccess, true);
      assert.deepEqual(spec.superuserSecret, { name: secret.state.metadata.name });
      assert.equal(secret.state.metadata.name, "social-postgresql-superuser");
      assert.equal(secret.inputs.type, "kubernetes.io/basic-auth");
      assert.deepEqual(Object.keys(secret.inputs.stringData).sort(), ["password", "username"]);
      assert.equal(secret.inputs.stringData.username, "postgres");
      assert.ok(secret.secretInputPaths.includes("stringData.password") || secret.secretInputPaths.includes("stringData"), `not secret: ${secret.secretInputPaths}`);
      const generated = stack.get(RANDOM_PASSWORD, "social-postgresql-superuser-password");
      assert.equal(secret.inputs.stringData.password, generated.state.result);
      assert.notEqual(secret.inputs.stringData.password, stack.get(KIND.Secret, "social-postgresql-app").inputs.stringData.password);
      // Kept with the retained Cluster, which goes on reading it; created before the Cluster names it.
      assert.equal(secret.retainOnDelete, true);
      assert.ok(stack.get(CLUSTER, "social-postgresql").dependencies.includes(secret.urn));
      assert.equal(JSON.parse(secretsExport).postgresqlSuperuserPassword, secret.inputs.stringData.password);
    });

    it("takes a supplied superuser password", async () => {
      const { stack: given } = await deploy(cnpgArgs({ superuserAccess: true }, { secrets: { postgresqlSuperuserPassword: "given-superuser-password" } }));
      assert.equal(given.get(KIND.Secret, "social-postgresql-superuser").inputs.stringData.password, "given-superuser-password");
      assert.equal(given.find(RANDOM_PASSWORD, "social-postgresql-superuser-password"), undefined);
    });

    it("passes the CRD's schema and the policy pack", async () => {
      assert.deepEqual(await schemaErrors(stack.resources), []);
      assert.deepEqual(findings(stack.resources), []);
    });
  });

  it("keeps the superuser's Secret and password when access is switched on or off: only the Cluster changes", async () => {
    const off = (await deploy(cnpgArgs({}))).stack;
    const on = (await deploy(cnpgArgs({ superuserAccess: true }))).stack;
    assert.deepEqual(on.get(KIND.Secret, "social-postgresql-superuser").inputs, off.get(KIND.Secret, "social-postgresql-superuser").inputs);
    assert.deepEqual(on.get(RANDOM_PASSWORD, "social-postgresql-superuser-password").inputs, off.get(RANDOM_PASSWORD, "social-postgresql-superuser-password").inputs);
    assert.notDeepEqual(on.get(CLUSTER, "social-postgresql").inputs.spec, off.get(CLUSTER, "social-postgresql").inputs.spec);
  });

  it("creates no superuser password outside CloudNativePG", async () => {
    const { stack: embedded, cluster } = await deploy({ domain: "social.example" });
    assert.equal(embedded.find(RANDOM_PASSWORD, "social-postgresql-superuser-password"), undefined);
    assert.equal(embedded.find(KIND.Secret, "social-postgresql-superuser"), undefined);
    assert.equal(JSON.parse(await valueOf(cluster.secretsExport)).postgresqlSuperuserPassword, undefined);
  });

  it("never changes the Cluster, its Secrets or the Pooler when Mastodon's version changes", async () => {
    const args = (version: string) => cnpgArgs({ pooler: { enabled: true }, superuserAccess: true }, { version });
    const before = (await deploy(args("v4.5.2"))).stack;
    const after = (await deploy(args("v4.6.6"))).stack;
    for (const [type, name] of [[CLUSTER, "social-postgresql"], [POOLER, "social-pgbouncer"], [KIND.Secret, "social-postgresql-app"],
      [KIND.Secret, "social-postgresql-superuser"], [RANDOM_PASSWORD, "social-postgresql-superuser-password"]]) {
      assert.deepEqual(after.get(type, name).inputs, before.get(type, name).inputs, `${name} changed`);
    }
  });

  describe("refuses", () => {
    it("CloudNativePG beside an external server", () => {
      assert.match(refusal(cnpgArgs({}, { postgresql: { external: { host: "pg.db", password: "x" } } })),
        /postgresql\.cloudNativePG: .*expected nothing while postgresql\.external is set/);
    });

    it("the pg_dump backups with CloudNativePG", () => {
      assert.match(refusal(cnpgArgs({}, { backups: { enabled: true } })), /backups\.enabled: got true; expected false or nothing with postgresql\.cloudNativePG/);
    });

    it("an image older than the version's minimum", () => {
      assert.match(refusal(cnpgArgs({}, { postgresql: { image: "ghcr.io/cloudnative-pg/postgresql:13.20-system-trixie" } })),
        /postgresql\.image: .*expected PostgreSQL 14 or later/);
    });

    it("a superuser password outside CloudNativePG, which has no superuser Secret", () => {
      const secrets = { postgresqlSuperuserPassword: "superuser-password" };
      assert.match(refusal({ domain: "social.example", secrets }),
        /secrets\.postgresqlSuperuserPassword: .*expected nothing unless postgresql\.cloudNativePG is set/);
      assert.match(refusal({ domain: "social.example", secrets, postgresql: { external: { host: "pg.db", password: "x" } } }), /secrets\.postgresqlSuperuserPassword: /);
      assert.match(refusal(cnpgArgs({ superuserAccess: "yes" }, {})), /postgresql\.cloudNativePG\.superuserAccess: .*true or false/);
      // Waiting in the Secret while access is off.
      assert.doesNotThrow(() => parseArgs("social", cnpgArgs({}, { secrets })));
      assert.doesNotThrow(() => parseArgs("social", cnpgArgs({ superuserAccess: true }, { secrets })));
    });

    it("no API server address", () => {
      assert.match(refusal(cnpgArgs({ apiServerCidrs: [] })), /postgresql\.cloudNativePG\.apiServerCidrs/);
    });

    it("a backup to an outside store while egress stays in the cluster, and a five-field schedule", () => {
      assert.match(refusal(cnpgArgs({ backup: { ...backup, endpointUrl: "https://s3.example.com" } })), /postgresql\.cloudNativePG\.backup\.endpointUrl: .*in-cluster endpoint/);
      assert.match(refusal(cnpgArgs({ backup: { ...backup, schedule: "30 3 * * *" } })), /postgresql\.cloudNativePG\.backup\.schedule: .*six-field/);
    });

    it("pools that would not fit max_connections, and connections beyond it without a pooler", () => {
      assert.match(refusal(cnpgArgs({ pooler: { enabled: true, instances: 9 } }, { postgresql: { maxConnections: 20 } })), /postgresql\.maxConnections: got 20; expected room for every PgBouncer pod's pool/);
      // 50 connections fit 53 on the embedded server, not beside CloudNativePG's own.
      assert.doesNotThrow(() => parseArgs("social", { domain: "social.example", postgresql: { maxConnections: 53 } }));
      assert.match(refusal(cnpgArgs({}, { postgresql: { maxConnections: 53 } })), /postgresql\.maxConnections: got 53; .*3 of them for CloudNativePG.*at least 56/);
    });
  });

  it("validates against CloudNativePG's own CRD schema", async () => {
    const cluster = { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "pg", namespace: "x" }, spec: { instances: 1 } };
    assert.deepEqual(await objectErrors(cluster), []);
    assert.deepEqual(await objectErrors({ ...cluster, spec: { instances: "3" } }), ["Cluster pg: spec.instances must be integer"]);
    assert.deepEqual(await objectErrors({ ...cluster, spec: { instances: 1, storage: { size: "1Gi", sise: "2Gi" } } }), ["Cluster pg: unknown field spec.storage.sise"]);
    assert.deepEqual(await objectErrors({ ...cluster, spec: { instances: 1, enableSuperuserAccess: true, superuserSecret: { name: "pg-superuser" } } }), []);
    assert.match((await objectErrors({ ...cluster, spec: { instances: 1, superuserSecret: { secretName: "pg-superuser" } } })).join("\n"), /superuserSecret/);
    assert.deepEqual(await objectErrors({ ...cluster, metadata: { name: "pg", labels: { a: 1 } } }), ["Cluster pg: metadata.data/labels/a must be string"]);
    const pooler = { apiVersion: "postgresql.cnpg.io/v1", kind: "Pooler", metadata: { name: "pool" }, spec: { cluster: { name: "pg" }, pgbouncer: { poolMode: "txn" } } };
    assert.match((await objectErrors(pooler)).join("\n"), /spec\.pgbouncer\.poolMode must be equal to one of the allowed values/);
    const missing = { apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", metadata: { name: "b" }, spec: { cluster: { name: "pg" } } };
    assert.match((await objectErrors(missing)).join("\n"), /spec must have required property 'schedule'/);
  });
});

describe("MastodonPlatform's CloudNativePG operator", () => {
  it("installs the official chart, pinned, in its own namespace, egress-isolated", async () => {
    const { resources } = await runProgram(() => new MastodonPlatform("lab", { installCloudNativePG: true, apiServerCidrs: API_SERVER }));
    const chart = resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === "lab-cloudnative-pg")!;
    assert.equal(chart.inputs.chart, "cloudnative-pg");
    assert.match(chart.inputs.version, /^\d+\.\d+\.\d+$/);
    assert.equal(chart.inputs.repositoryOpts.repo, "https://cloudnative-pg.github.io/charts");
    const namespace = resources.find((r) => r.type === KIND.Namespace && r.name === "lab-cloudnative-pg")!;
    assert.equal(namespace.inputs.metadata.name, "cnpg-system");
    const policy = resources.find((r) => r.type === KIND.NetworkPolicy && r.name === "lab-cloudnative-pg")!.inputs;
    assert.deepEqual(policy.spec.podSelector.matchLabels, { "app.kubernetes.io/name": "cloudnative-pg" });
    assert.deepEqual(policy.spec.policyTypes, ["Egress"]);
    assert.ok(stackDependsOn(resources, chart, policy));
    assert.deepEqual(findings(resources), []);
  });

  it("needs the API server's address to install it", () => {
    assert.throws(() => new MastodonPlatform("lab", { installCloudNativePG: true }), /apiServerCidrs: .*installCloudNativePG/);
  });
});

/** The chart waits for its NetworkPolicy (so the operator never runs unfenced). */
function stackDependsOn(resources: RecordedResource[], from: RecordedResource, policy: any): boolean {
  const target = resources.find((r) => r.inputs === policy)!;
  return new Stack(resources).dependsOn(from, target);
}
