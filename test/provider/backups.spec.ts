import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "../../provider/args";
import { AWS_CLI_IMAGE } from "../../provider/args";
import {
  BACKUP_DIR, HANDOFF_DIR, backupScript, downloadScript, restoreFromHandoffScript, restoreScript, uploadScript,
} from "../../provider/backups";
import { MASTODON_CLUSTER_TOKEN, SECRET_INPUTS } from "../../provider/schema";
import { KIND, Stack, deploy, valueOf } from "../harness/stack";

const CRON_JOB = "kubernetes:batch/v1:CronJob";
const podOf = (cronJob: { inputs: any }) => cronJob.inputs.spec.jobTemplate.spec.template.spec;

describe("backups of the embedded PostgreSQL", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example" }));
  });
  const backup = () => stack.get(CRON_JOB, "social-backup");
  const restore = () => stack.get(CRON_JOB, "social-restore");

  it("runs daily by default, never two at once, keeping failed Jobs to inspect", () => {
    const spec = backup().inputs.spec;
    assert.equal(spec.schedule, "30 3 * * *");
    assert.equal(spec.concurrencyPolicy, "Forbid");
    assert.equal(spec.failedJobsHistoryLimit, 3);
    assert.equal(spec.jobTemplate.spec.backoffLimit, 1);
    assert.equal(spec.jobTemplate.spec.activeDeadlineSeconds, 10800);
    assert.equal(podOf(backup()).restartPolicy, "Never");
  });

  it("dumps with the server's own image, running the exported script with the default retention", () => {
    const container = podOf(backup()).containers[0];
    const server = stack.get(KIND.StatefulSet, "social-postgresql").inputs.spec.template.spec.containers[0];
    assert.equal(container.image, server.image);
    assert.deepEqual(container.command, ["/bin/sh", "-c", backupScript({ dir: BACKUP_DIR, retention: 7 })]);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.PGHOST, "social-postgresql");
    assert.equal(env.PGDATABASE, "mastodon_production");
    assert.equal(env.PGUSER, "mastodon");
    assert.equal(env.PGPASSWORD.secretKeyRef.key, "DB_PASS");
    assert.equal(env.PGPASSWORD.secretKeyRef.name, stack.get(KIND.Secret, "social-env").state.metadata.name);
  });

  it("writes to a volume of its own, protected and kept like the data's", () => {
    const claim = stack.get(KIND.PersistentVolumeClaim, "social-backups");
    assert.equal(claim.protect, true);
    assert.equal(claim.retainOnDelete, true);
    assert.equal(claim.inputs.spec.resources.requests.storage, "8Gi");
    for (const job of [backup(), restore()]) {
      assert.deepEqual(podOf(job).volumes, [{ name: "backups", persistentVolumeClaim: { claimName: "social-backups" } }]);
      assert.deepEqual(podOf(job).containers[0].volumeMounts, [{ name: "backups", mountPath: BACKUP_DIR }]);
    }
  });

  it("runs in the restricted profile as the postgres image's user", () => {
    for (const job of [backup(), restore()]) {
      const pod = podOf(job);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.runAsUser, 999);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.deepEqual(pod.containers[0].securityContext.capabilities, { drop: ["ALL"] });
      assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
    }
  });

  it("keeps the restore as a suspended template running the exported restore script, and prints how to start it", async () => {
    const spec = restore().inputs.spec;
    assert.equal(spec.suspend, true);
    const container = podOf(restore()).containers[0];
    assert.deepEqual(container.command, ["/bin/sh", "-c", restoreScript({ dir: BACKUP_DIR })]);
    assert.ok(container.env.some((e: any) => e.name === "RESTORE_FILE" && e.value === "latest"));
    assert.equal(spec.jobTemplate.spec.backoffLimit, 0, "a restore is never retried behind the operator's back");
    const { cluster } = await deploy({ domain: "social.example" });
    assert.match(await valueOf(cluster.restoreCommand), /^kubectl --namespace social create job --from=cronjob\/social-restore social-restore-\$\(date \+%s\)$/);
  });

  it("lets the backup pods reach PostgreSQL only, and PostgreSQL admit them", () => {
    const egress = stack.get(KIND.NetworkPolicy, "social-backup").inputs.spec;
    assert.deepEqual(egress.policyTypes, ["Egress"]);
    assert.deepEqual(egress.egress, [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mastodon", "app.kubernetes.io/instance": "social", "app.kubernetes.io/component": "postgresql" } } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
    const ingress = stack.get(KIND.NetworkPolicy, "social-postgresql-backup").inputs.spec;
    assert.deepEqual(ingress.ingress[0].from, [{ podSelector: egress.podSelector }]);
    // The pods carry the labels the policies select, and those of the instance's default-deny and DNS policies.
    const labels = backup().inputs.spec.jobTemplate.spec.template.metadata.labels;
    for (const selector of [egress.podSelector, stack.get(KIND.NetworkPolicy, "social-default-deny").inputs.spec.podSelector]) {
      for (const [k, v] of Object.entries(selector.matchLabels)) assert.equal(labels[k], v, k);
    }
  });

  it("waits for the PostgreSQL server, and nothing of the rollout waits for it", () => {
    assert.ok(stack.dependsOn(backup(), stack.get(KIND.StatefulSet, "social-postgresql")));
    for (const r of [stack.get(KIND.Job, "social-db-migrate-pre"), stack.get(KIND.Job, "social-db-migrate-post"), ...stack.ofType(KIND.Deployment)]) {
      assert.ok(!stack.dependsOn(r, backup()), `${r.name} waits for the backup CronJob`);
    }
  });

  it("exports the secrets a restored database needs, as the secrets input takes them, as a Pulumi secret", async () => {
    const { cluster } = await deploy({ domain: "social.example", secrets: { secretKeyBase: "k".repeat(128) } });
    const exported = JSON.parse(await valueOf(cluster.secretsExport));
    assert.equal(exported.secretKeyBase, "k".repeat(128));
    for (const key of ["otpSecret", "activeRecordEncryptionPrimaryKey", "activeRecordEncryptionDeterministicKey", "activeRecordEncryptionKeyDerivationSalt", "vapidPrivateKey", "vapidPublicKey", "postgresqlPassword", "redisPassword"]) {
      assert.equal(typeof exported[key], "string", key);
      assert.ok(exported[key].length > 0, key);
    }
    assert.ok(await pulumi.isSecret(cluster.secretsExport));
    const back = await deploy({ domain: "social.example", secrets: exported });
    assert.equal(await valueOf(back.cluster.secretsExport), await valueOf(cluster.secretsExport), "the export round-trips through the secrets input");
  });

  it("follows the schedule, retention and size given", async () => {
    const { stack } = await deploy({ domain: "social.example", backups: { schedule: "@daily", retention: 30, storageSize: "50Gi", storageClassName: "backup" } });
    const job = stack.get(CRON_JOB, "social-backup");
    assert.equal(job.inputs.spec.schedule, "@daily");
    assert.deepEqual(podOf(job).containers[0].command[2], backupScript({ dir: BACKUP_DIR, retention: 30 }));
    const claim = stack.get(KIND.PersistentVolumeClaim, "social-backups").inputs.spec;
    assert.equal(claim.resources.requests.storage, "50Gi");
    assert.equal(claim.storageClassName, "backup");
  });

  it("is off with an external PostgreSQL, and refused there when asked for", async () => {
    const { stack, cluster } = await deploy({ domain: "social.example", postgresql: { external: { host: "pg.db", password: "x" } } });
    assert.equal(stack.find(CRON_JOB, "social-backup"), undefined);
    assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-backups"), undefined);
    assert.equal(await valueOf(cluster.restoreCommand), "");
    assert.throws(() => parseArgs("social", { domain: "social.example", postgresql: { external: { host: "pg.db", password: "x" } }, backups: { enabled: true } }),
      /args\.backups\.enabled: got true; expected false or nothing while postgresql\.external is set/);
  });

  it("can be turned off", async () => {
    const { stack } = await deploy({ domain: "social.example", backups: { enabled: false } });
    assert.equal(stack.find(CRON_JOB, "social-backup"), undefined);
    assert.equal(stack.find(KIND.PersistentVolumeClaim, "social-backups"), undefined);
  });

  it("names the field, the value and what is expected for bad settings", () => {
    const bad = (backups: object) => () => parseArgs("social", { domain: "social.example", backups } as any);
    assert.throws(bad({ schedule: "daily" }), /args\.backups\.schedule: got "daily"; expected a cron schedule such as "30 3 \* \* \*" or "@weekly"/);
    assert.throws(bad({ retention: 0 }), /args\.backups\.retention: got 0; expected a whole number of dumps from 1 to 1000/);
    assert.throws(bad({ storageSize: "lots" }), /args\.backups\.storageSize: got "lots"/);
    assert.throws(bad({ activeDeadlineSeconds: 60 }), /args\.backups\.activeDeadlineSeconds: got 60; expected a whole number of seconds from 300 to 86400/);
  });
});

describe("backups to S3-compatible storage", () => {
  const S3 = { bucket: "mastodon-backups", endpoint: "http://minio.storage:9000", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG" };
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", backups: { retention: 3, s3: S3 } }));
  });
  const backup = () => stack.get(CRON_JOB, "social-backup");
  const target = { endpoint: S3.endpoint, bucket: S3.bucket, prefix: "social/social/", pathStyle: true };

  it("dumps in an init container, then uploads in the official AWS CLI image with the exported script", () => {
    const pod = podOf(backup());
    assert.equal(pod.initContainers.length, 1);
    assert.deepEqual(pod.initContainers[0].command, ["/bin/sh", "-c", backupScript({ dir: BACKUP_DIR, retention: 3 })]);
    assert.equal(pod.initContainers[0].image, "docker.io/library/postgres:17.6");
    const [upload] = pod.containers;
    assert.equal(pod.containers.length, 1);
    assert.equal(upload.image, AWS_CLI_IMAGE);
    assert.match(AWS_CLI_IMAGE, /^docker\.io\/amazon\/aws-cli:2\.\d+\.\d+$/, "the official image, pinned");
    // The bucket keeps as many as the volume unless told otherwise.
    assert.deepEqual(upload.command, ["/bin/sh", "-c", uploadScript({ dir: BACKUP_DIR, retention: 3, target })]);
    assert.deepEqual(upload.volumeMounts, [{ name: "backups", mountPath: BACKUP_DIR }, { name: "tmp", mountPath: "/tmp" }]);
    assert.deepEqual(pod.volumes.map((v: any) => v.name), ["backups", "tmp"]);
    assert.deepEqual(upload.resources.requests, { cpu: "50m", memory: "128Mi" });
  });

  it("gives the upload its credentials from a Secret, never in plain fields, as Pulumi secrets", () => {
    const env = Object.fromEntries(podOf(backup()).containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    const secret = stack.get(KIND.Secret, "social-backup-s3");
    assert.equal(env.AWS_ACCESS_KEY_ID.secretKeyRef.name, secret.state.metadata.name);
    assert.equal(env.AWS_SECRET_ACCESS_KEY.secretKeyRef.key, "AWS_SECRET_ACCESS_KEY");
    assert.equal(env.AWS_DEFAULT_REGION, "us-east-1");
    assert.equal(env.AWS_CONFIG_FILE, "/tmp/aws/config");
    assert.ok(!JSON.stringify(backup().inputs).includes(S3.secretAccessKey), "the secret key is in no plain field of the CronJob");
    for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      assert.ok(secret.secretInputPaths.some((p) => p === `stringData.${key}` || p === "stringData"), `${key} sent as a Pulumi secret`);
    }
    assert.equal(secret.inputs.stringData.AWS_SECRET_ACCESS_KEY, S3.secretAccessKey);
    assert.deepEqual(SECRET_INPUTS[MASTODON_CLUSTER_TOKEN].filter((p) => p.startsWith("backups.")), ["backups.s3.accessKeyId", "backups.s3.secretAccessKey"]);
  });

  it("runs both pods' containers in the restricted profile", () => {
    for (const job of [backup(), stack.get(CRON_JOB, "social-restore-s3")]) {
      const pod = podOf(job);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      for (const c of [...pod.initContainers, ...pod.containers]) {
        assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, c.name);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
      }
    }
  });

  it("keeps a second restore template that downloads from the bucket, then runs the same restore", () => {
    const job = stack.get(CRON_JOB, "social-restore-s3");
    assert.equal(job.inputs.spec.suspend, true);
    assert.equal(job.inputs.spec.jobTemplate.spec.backoffLimit, 0);
    const pod = podOf(job);
    const [download] = pod.initContainers;
    assert.equal(download.image, AWS_CLI_IMAGE);
    assert.deepEqual(download.command, ["/bin/sh", "-c", downloadScript({ dir: BACKUP_DIR, handoff: HANDOFF_DIR, target })]);
    assert.ok(download.env.some((e: any) => e.name === "RESTORE_FILE" && e.value === "latest"));
    const [restoreContainer] = pod.containers;
    assert.equal(restoreContainer.image, "docker.io/library/postgres:17.6");
    assert.deepEqual(restoreContainer.command, ["/bin/sh", "-c", restoreFromHandoffScript({ dir: BACKUP_DIR, handoff: HANDOFF_DIR })]);
    for (const c of [download, restoreContainer]) assert.ok(c.volumeMounts.some((m: any) => m.name === "handoff" && m.mountPath === HANDOFF_DIR), c.name);
    // The volume restore stays as it was.
    assert.deepEqual(podOf(stack.get(CRON_JOB, "social-restore")).containers[0].command, ["/bin/sh", "-c", restoreScript({ dir: BACKUP_DIR })]);
  });

  it("lets the backup pods reach the endpoint's namespace on its port only, and nothing else new", () => {
    const policy = stack.get(KIND.NetworkPolicy, "social-backup-s3").inputs.spec;
    assert.deepEqual(policy.podSelector, stack.get(KIND.NetworkPolicy, "social-backup").inputs.spec.podSelector);
    assert.deepEqual(policy.egress, [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "storage" } } }], ports: [{ protocol: "TCP", port: 9000 }] }]);
    assert.ok(stack.dependsOn(backup(), stack.get(KIND.NetworkPolicy, "social-backup-s3")));
  });

  it("takes the prefix, region, retention, style and image given, and reaches a public endpoint only with allowPublicEgress", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      allowPublicEgress: true,
      backups: { s3: { ...S3, endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", prefix: "db/social", retention: 30, pathStyle: false, image: "registry.example/aws-cli:2.32.8" } },
    });
    const upload = podOf(stack.get(CRON_JOB, "social-backup")).containers[0];
    const t = { endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: S3.bucket, prefix: "db/social/", pathStyle: false };
    assert.equal(upload.command[2], uploadScript({ dir: BACKUP_DIR, retention: 30, target: t }));
    assert.match(upload.command[2], /addressing_style = virtual/);
    assert.equal(upload.image, "registry.example/aws-cli:2.32.8");
    assert.ok(upload.env.some((e: any) => e.name === "AWS_DEFAULT_REGION" && e.value === "eu-west-1"));
    const egress = stack.get(KIND.NetworkPolicy, "social-backup-s3").inputs.spec.egress;
    assert.deepEqual(egress[0].ports, [{ protocol: "TCP", port: 443 }]);
    assert.deepEqual(egress[0].to.filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr), ["0.0.0.0/0", "::/0"]);
  });

  it("adds nothing without a bucket: the default footprint and objects are unchanged", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    assert.equal(stack.find(CRON_JOB, "social-restore-s3"), undefined);
    assert.equal(stack.find(KIND.NetworkPolicy, "social-backup-s3"), undefined);
    assert.equal(stack.find(KIND.Secret, "social-backup-s3"), undefined);
    assert.equal(podOf(stack.get(CRON_JOB, "social-backup")).initContainers, undefined);
  });

  it("refuses an outside endpoint while egress is limited to the cluster, a bucket without backups, and bad values", () => {
    const bad = (backups: object, extra: object = {}) => () => parseArgs("social", { domain: "social.example", backups, ...extra } as any);
    assert.throws(bad({ s3: { ...S3, endpoint: "https://s3.eu-west-1.amazonaws.com" } }),
      /args\.backups\.s3\.endpoint: got "https:\/\/s3\.eu-west-1\.amazonaws\.com"; expected an in-cluster endpoint while egress is limited to the cluster/);
    assert.throws(bad({ enabled: false, s3: S3 }), /args\.backups\.s3: .*expected nothing while backups are off/);
    assert.throws(bad({ s3: S3 }, { postgresql: { external: { host: "pg.db", password: "x" } } }), /args\.backups\.s3: .*expected nothing while backups are off/);
    assert.throws(bad({ s3: { ...S3, bucket: "My_Bucket" } }), /args\.backups\.s3\.bucket: got "My_Bucket"; expected a bucket name: 3 to 63 lowercase letters/);
    assert.throws(bad({ s3: { ...S3, prefix: "/abs" } }), /args\.backups\.s3\.prefix: got "\/abs"; expected a key prefix/);
    assert.throws(bad({ s3: { ...S3, prefix: "a/../b" } }), /args\.backups\.s3\.prefix: got "a\/\.\.\/b"/);
    assert.throws(bad({ s3: { ...S3, endpoint: "ftp://minio.storage" } }), /args\.backups\.s3\.endpoint: got "ftp:\/\/minio\.storage"; expected an http or https endpoint URL/);
    assert.throws(bad({ s3: { ...S3, retention: 0 } }), /args\.backups\.s3\.retention: got 0; expected a whole number of dumps from 1 to 1000/);
    assert.throws(bad({ s3: { ...S3, secretAccessKey: "" } }), /args\.backups\.s3\.secretAccessKey/);
    // An address in the cluster's ranges is in the cluster.
    assert.doesNotThrow(bad({ s3: { ...S3, endpoint: "http://10.43.0.20:9000" } }));
  });
});

// ---------------------------------------------------------------------------------------------
// The proof: the exact scripts, against real PostgreSQL servers on loopback.
// ---------------------------------------------------------------------------------------------

/** The newest PostgreSQL server binaries Debian's `postgresql` package installed, if any. */
function postgresqlBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(root, versions[0], "bin") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** runuser, wherever the distribution keeps it (spawn looks commands up in the child's PATH). */
const RUNUSER = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((p) => fs.existsSync(p)) ?? "runuser";

const PASSWORD = "a-Passw0rd-with-'quotes'";

/** Mastodon-like content: its tables' shapes (ids from a sequence, foreign keys, indexes, jsonb, arrays), with rows. */
const SEED = `
CREATE TABLE schema_migrations (version character varying PRIMARY KEY);
CREATE TABLE ar_internal_metadata (key character varying PRIMARY KEY, value character varying, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
CREATE TABLE accounts (
  id bigserial PRIMARY KEY, username character varying NOT NULL DEFAULT '', domain character varying,
  display_name character varying NOT NULL DEFAULT '', note text NOT NULL DEFAULT '', fields jsonb,
  created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
CREATE UNIQUE INDEX index_accounts_on_username_and_domain_lower ON accounts (lower(username), COALESCE(lower(domain), ''));
CREATE TABLE statuses (
  id bigint PRIMARY KEY DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint << 16),
  uri character varying, text text NOT NULL DEFAULT '', account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  in_reply_to_id bigint, visibility integer NOT NULL DEFAULT 0, language character varying, ordered_media_attachment_ids bigint[],
  created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
CREATE INDEX index_statuses_on_account_id_id ON statuses (account_id, id DESC);
CREATE TABLE media_attachments (
  id bigserial PRIMARY KEY, status_id bigint REFERENCES statuses (id) ON DELETE SET NULL, account_id bigint REFERENCES accounts (id),
  file_file_name character varying, file_content_type character varying, file_file_size integer, file_meta json,
  description text, blurhash character varying, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
CREATE INDEX index_media_attachments_on_status_id ON media_attachments (status_id);
INSERT INTO schema_migrations SELECT to_char(timestamp '2016-02-22 15:00:00' + n * interval '3 days', 'YYYYMMDDHH24MISS') FROM generate_series(1, 420) n;
INSERT INTO ar_internal_metadata VALUES ('environment', 'production', now(), now());
INSERT INTO accounts (username, domain, display_name, note, fields, created_at, updated_at)
  SELECT 'user' || n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'remote' || (n % 7) || '.example' END, 'Üser ' || n || ' 🐘',
         'a note with a ''quote'' and a tab\t', jsonb_build_array(jsonb_build_object('name', 'site', 'value', 'https://e.example/' || n)),
         now() - n * interval '1 hour', now()
  FROM generate_series(1, 300) n;
INSERT INTO statuses (id, uri, text, account_id, in_reply_to_id, visibility, language, ordered_media_attachment_ids, created_at, updated_at)
  SELECT 110000000000000000 + n, 'https://social.example/users/u/statuses/' || n, repeat('toot ' || n || ' ', 1 + n % 20),
         1 + n % 300, CASE WHEN n > 1 AND n % 5 = 0 THEN 110000000000000000 + n - 1 END, n % 4, 'en', ARRAY[n, n + 1]::bigint[],
         now() - n * interval '1 minute', now()
  FROM generate_series(1, 2500) n;
INSERT INTO media_attachments (status_id, account_id, file_file_name, file_content_type, file_file_size, file_meta, description, blurhash, created_at, updated_at)
  SELECT 110000000000000000 + n * 7, 1 + n % 300, n || '.png', 'image/png', 1000 + n, json_build_object('width', 640, 'height', 480),
         'alt text ' || n, 'LEHV6nWB2yk8pyo0adR*.7kCMdnj', now(), now()
  FROM generate_series(1, 350) n;
`;

const TABLES = ["accounts", "ar_internal_metadata", "media_attachments", "schema_migrations", "statuses"];

interface Server { name: string; port: number; data: string }

class Lab {
  readonly dir: string;
  private readonly servers: Server[] = [];
  private readonly asPostgres: boolean;

  constructor(readonly bin: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "mastodon-backups-"));
    // The servers and the scripts run as the postgres user when the test runs as root (PostgreSQL refuses root).
    fs.chmodSync(this.dir, 0o777);
    this.asPostgres = process.getuid?.() === 0;
  }

  /** The command line that runs `argv` with exactly `env` (and PATH to the server's tools), as postgres when root. */
  private command(argv: string[], env: Record<string, string>): { command: string; args: string[]; env: Record<string, string> } {
    const fullEnv: Record<string, string> = { PATH: `${this.bin}:/usr/bin:/bin`, LC_ALL: "C", HOME: this.dir, ...env };
    const wrapped = ["env", "-i", ...Object.entries(fullEnv).map(([k, v]) => `${k}=${v}`), ...argv];
    return this.asPostgres
      ? { command: RUNUSER, args: ["-u", "postgres", "--", ...wrapped], env: fullEnv }
      : { command: wrapped[0], args: wrapped.slice(1), env: fullEnv };
  }

  /** Starts `argv` in the background, as `run` would run it. */
  spawn(argv: string[], env: Record<string, string>) {
    const c = this.command(argv, env);
    return childProcess.spawn(c.command, c.args, { env: c.env, stdio: "ignore", cwd: this.dir });
  }

  /** Runs `argv` (as postgres when root) with `env`; never throws. */
  run(argv: string[], env: Record<string, string> = {}, input?: string) {
    const { command, args, env: fullEnv } = this.command(argv, env);
    const result = childProcess.spawnSync(command, args, { env: fullEnv, input, encoding: "utf8", cwd: this.dir, timeout: 120_000 });
    return { status: result.status, stdout: result.stdout ?? "", stderr: `${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
  }

  mustRun(argv: string[], env: Record<string, string> = {}, input?: string) {
    const r = this.run(argv, env, input);
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** initdb as the official image does (the bootstrap superuser is "mastodon", password auth on TCP), then start. */
  async start(name: string): Promise<Server> {
    const data = path.join(this.dir, name);
    const pwfile = path.join(this.dir, `${name}.pw`);
    fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    this.mustRun([path.join(this.bin, "initdb"), "--pgdata", data, "--username", "mastodon", "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"]);
    const port = await freePort();
    this.mustRun([path.join(this.bin, "pg_ctl"), "--pgdata", data, "--log", path.join(this.dir, `${name}.log`), "--wait", "--options",
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${this.dir} -c fsync=off`, "start"]);
    const server = { name, port, data };
    this.servers.push(server);
    return server;
  }

  /** libpq's variables for `server`, as the CronJob's container sets them. */
  env(server: Server, extra: Record<string, string> = {}): Record<string, string> {
    return { PGHOST: "127.0.0.1", PGPORT: String(server.port), PGUSER: "mastodon", PGPASSWORD: PASSWORD, PGDATABASE: "mastodon_production", ...extra };
  }

  psql(server: Server, sql: string, database = "mastodon_production"): string {
    return this.mustRun(["psql", "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--tuples-only", "--no-align", "--dbname", database], this.env(server), sql).trim();
  }

  /** A dump of `server`'s database as text, minus what differs on every run (pg_dump's random \restrict keys). */
  dump(server: Server, ...flags: string[]): string {
    return this.mustRun(["pg_dump", "--no-sync", ...flags], this.env(server)).split("\n").filter((l) => !/^\\(un)?restrict /.test(l)).join("\n");
  }

  rowCounts(server: Server): Record<string, number> {
    return Object.fromEntries(TABLES.map((t) => [t, Number(this.psql(server, `SELECT count(*) FROM ${t}`))]));
  }

  stop() {
    for (const s of this.servers) this.run([path.join(this.bin, "pg_ctl"), "--pgdata", s.data, "--mode", "immediate", "stop"]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** PostgreSQL's server binaries and, as root, a postgres user to run them as; otherwise the suite skips, saying why. */
function postgresqlOrSkip(ctx: Mocha.Context): string {
  const bin = postgresqlBin();
  if (!bin) ctx.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install -y postgresql)");
  if (process.getuid?.() === 0 && childProcess.spawnSync(RUNUSER, ["-u", "postgres", "--", "true"]).status !== 0) {
    ctx.skip("running as root without a postgres user to run PostgreSQL as (runuser -u postgres failed)");
  }
  return bin!;
}

/** A lab with two servers: the original, holding Mastodon-like content (SEED), and a fresh one to restore into. */
async function seededLab(ctx: Mocha.Context, bin: string): Promise<{ lab: Lab; original: Server; fresh: Server }> {
  const lab = new Lab(bin);
  let original: Server | undefined;
  let fresh: Server | undefined;
  try {
    original = await lab.start("original");
    fresh = await lab.start("fresh");
  } catch (e) {
    lab.stop();
    ctx.skip(`PostgreSQL could not be started here: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    lab.psql(original!, "CREATE DATABASE mastodon_production", "postgres");
    lab.psql(original!, SEED);
  } catch (e) {
    lab.stop();
    throw e;
  }
  return { lab, original: original!, fresh: fresh! };
}

describe("the backup and restore scripts, against real PostgreSQL servers on loopback", function () {
  this.timeout(300_000);
  let lab: Lab;
  let original: Server;
  let fresh: Server;
  let backups: string;

  before(async function () {
    const bin = postgresqlOrSkip(this);
    ({ lab, original, fresh } = await seededLab(this, bin));
    backups = path.join(lab.dir, "backups");
    fs.mkdirSync(backups, { mode: 0o777 });
    fs.chmodSync(backups, 0o777);
  });

  after(() => lab?.stop());

  /** Dumps are named to the second: a backup waits for the next second after the last one. */
  let lastBackup = 0;
  const backup = async (server: Server, retention = 7, extra: Record<string, string> = {}) => {
    while (Math.floor(Date.now() / 1000) <= Math.floor(lastBackup / 1000)) await new Promise((r) => setTimeout(r, 50));
    lastBackup = Date.now();
    return lab.run(["/bin/sh", "-c", backupScript({ dir: backups, retention })], lab.env(server, extra));
  };
  const restore = (server: Server, extra: Record<string, string> = {}) => lab.run(["/bin/sh", "-c", restoreScript({ dir: backups })], lab.env(server, extra));
  const dumps = () => fs.readdirSync(backups).filter((f) => /^mastodon-\d{8}T\d{6}Z\.dump$/.test(f)).sort();

  it("backs up a database with Mastodon-like content to a custom-format dump with its checksum", async () => {
    const r = await backup(original);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(dumps().length, 1);
    const [dump] = dumps();
    assert.equal(fs.readFileSync(path.join(backups, dump)).subarray(0, 5).toString(), "PGDMP", "custom format");
    assert.match(fs.readFileSync(path.join(backups, `${dump}.sha256`), "utf8"), new RegExp(`^[0-9a-f]{64}  ${dump.replace(/\./g, "\\.")}\\n$`));
    assert.deepEqual(fs.readdirSync(backups).filter((f) => f.endsWith(".partial")), []);
    assert.match(r.stdout, /backup: done: \d+ bytes/);
  });

  it("restores it into a fresh server: the same schema, the same rows, the same sequences", () => {
    const r = restore(fresh);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /restore: done: mastodon_production restored from mastodon-/);
    assert.deepEqual(lab.rowCounts(fresh), { accounts: 300, ar_internal_metadata: 1, media_attachments: 350, schema_migrations: 420, statuses: 2500 });
    assert.deepEqual(lab.rowCounts(fresh), lab.rowCounts(original));
    assert.equal(lab.dump(fresh, "--schema-only"), lab.dump(original, "--schema-only"));
    assert.equal(lab.dump(fresh, "--data-only"), lab.dump(original, "--data-only"), "every row and sequence value");
    assert.equal(lab.psql(fresh, "SELECT pg_encoding_to_char(encoding) || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"), "UTF8 mastodon");
  });

  it("restores over a database that has tables only after saving it, and the result is the backup again", () => {
    lab.psql(fresh, "DELETE FROM media_attachments; INSERT INTO schema_migrations VALUES ('99999999999999')");
    const r = restore(fresh);
    assert.equal(r.status, 0, r.stderr);
    const saved = fs.readdirSync(backups).filter((f) => f.startsWith("pre-restore-"));
    assert.equal(saved.length, 1);
    assert.deepEqual(lab.rowCounts(fresh), lab.rowCounts(original));
    // The saved copy holds what was there: the change made above.
    const restoredSaved = lab.mustRun(["pg_restore", "--data-only", "--table=schema_migrations", "--file=-", path.join(backups, saved[0])]);
    assert.match(restoredSaved, /99999999999999/);
  });

  it("refuses to restore while something is connected to the database, changing nothing", async () => {
    const before = lab.rowCounts(fresh);
    const holder = lab.spawn(["psql", "--no-psqlrc", "--command", "SELECT pg_sleep(60)"], lab.env(fresh));
    try {
      for (let i = 0; i < 50 && lab.psql(fresh, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'") === "0"; i++) await new Promise((r) => setTimeout(r, 100));
      const r = restore(fresh);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /restore: 1 other connection\(s\) to mastodon_production: stop Mastodon/);
      assert.deepEqual(lab.rowCounts(fresh), before);
    } finally {
      holder.kill("SIGKILL");
      lab.psql(fresh, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'", "postgres");
    }
  });

  it("refuses a dump that does not match its checksum", () => {
    const [dump] = dumps().slice(-1);
    const file = path.join(backups, dump);
    const bytes = fs.readFileSync(file);
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 10] ^= 0xff;
    fs.writeFileSync(file, corrupt);
    try {
      const r = restore(fresh);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /does not match its checksum/);
      assert.deepEqual(lab.rowCounts(fresh), lab.rowCounts(original), "the database is untouched");
    } finally {
      fs.writeFileSync(file, bytes);
    }
  });

  it("keeps only the newest dumps the retention allows", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await backup(original, 2);
      assert.equal(r.status, 0, r.stderr);
    }
    const kept = dumps();
    assert.equal(kept.length, 2);
    const all = fs.readdirSync(backups);
    for (const d of kept) assert.ok(all.includes(`${d}.sha256`));
    assert.equal(all.filter((f) => f.endsWith(".sha256")).length, 2, "the checksums of deleted dumps go with them");
    assert.equal(all.filter((f) => f.startsWith("pre-restore-")).length, 1, "retention never touches a pre-restore copy");
  });

  it("restores a named dump, not only the newest", async () => {
    lab.psql(original, "INSERT INTO accounts (username, created_at, updated_at) VALUES ('latecomer', now(), now())");
    assert.equal((await backup(original, 2)).status, 0);
    const [older] = dumps();
    const r = restore(fresh, { RESTORE_FILE: older });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`restored from ${older.replace(/\./g, "\\.")}`));
    assert.equal(lab.psql(fresh, "SELECT count(*) FROM accounts WHERE username = 'latecomer'"), "0");
    assert.equal(restore(fresh).status, 0);
    assert.equal(lab.psql(fresh, "SELECT count(*) FROM accounts WHERE username = 'latecomer'"), "1");
  });

  it("fails, leaving no dump behind, when the server cannot be reached", async () => {
    const before = fs.readdirSync(backups).sort();
    const r = await backup(original, 2, { PGPASSWORD: "wrong" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /password authentication failed/);
    assert.deepEqual(fs.readdirSync(backups).sort(), before);
  });
});

// ---------------------------------------------------------------------------------------------
// The proof of the S3 copy: the exact upload, download and restore scripts, with the AWS CLI (awscli from PyPI,
// whose s3 and s3api commands are those of the image's AWS CLI v2), against moto's S3-compatible server and
// real PostgreSQL servers on loopback.
// ---------------------------------------------------------------------------------------------

const S3TOOLS = path.resolve(__dirname, "../harness/s3tools.sh");

/** The bin folder of awscli and moto_server (test/harness/s3tools.sh installs them once), or why not. */
function s3Tools(): { bin?: string; why?: string } {
  const r = childProcess.spawnSync("bash", [S3TOOLS], { encoding: "utf8", timeout: 600_000 });
  if (r.status === 0) return { bin: r.stdout.trim().split("\n").pop() };
  return { why: `awscli and moto could not be installed from PyPI (bash test/harness/s3tools.sh: ${(r.stderr || String(r.error)).trim().split("\n").slice(-2).join(" ")})` };
}

describe("the S3 upload, download and restore scripts, against an S3-compatible server and real PostgreSQL on loopback", function () {
  this.timeout(900_000);
  let lab: Lab;
  let original: Server;
  let fresh: Server;
  let volume: string;
  let handoff: string;
  let moto: childProcess.ChildProcess | undefined;
  let s3bin: string;
  let endpoint: string;
  const BUCKET = "mastodon-backups";
  const PREFIX = "social/social/";

  before(async function () {
    const bin = postgresqlOrSkip(this);
    const tools = s3Tools();
    if (!tools.bin) this.skip(tools.why!);
    s3bin = tools.bin!;
    ({ lab, original, fresh } = await seededLab(this, bin));
    for (const d of ["volume", "handoff"]) fs.mkdirSync(path.join(lab.dir, d), { mode: 0o777 });
    volume = path.join(lab.dir, "volume");
    handoff = path.join(lab.dir, "handoff");
    for (const d of [volume, handoff]) fs.chmodSync(d, 0o777);

    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = childProcess.spawn(path.join(s3bin, "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    for (let i = 0; i < 200 && lab.run(["aws", "--endpoint-url", endpoint, "s3api", "list-buckets"], awsEnv()).status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    lab.mustRun(["aws", "--endpoint-url", endpoint, "s3api", "create-bucket", "--bucket", BUCKET], awsEnv());
  });

  after(() => {
    moto?.kill("SIGKILL");
    lab?.stop();
  });

  /** The AWS CLI's variables as the pod sets them (the config file in a folder of the test's own). */
  const awsEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: `${lab.bin}:${s3bin}:/usr/bin:/bin`,
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(lab.dir, "tmp", "aws", "config"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    HOME: path.join(lab.dir, "tmp"),
    ...extra,
  });
  const target = () => ({ endpoint, bucket: BUCKET, prefix: PREFIX, pathStyle: true });
  const aws = (...args: string[]) => lab.mustRun(["aws", "--endpoint-url", endpoint, ...args], awsEnv());
  /** The keys of the bucket, sorted. */
  const keys = (prefix = ""): string[] => {
    const out = aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", prefix, "--query", "Contents[].[Key]", "--output", "text").trim();
    return out === "None" || out === "" ? [] : out.split("\n").sort();
  };
  const dumpsIn = (dir: string) => fs.readdirSync(dir).filter((f) => /^mastodon-\d{8}T\d{6}Z\.dump$/.test(f)).sort();

  let lastBackup = 0;
  /** One run of the backup pod: the dump (init container), then, if it succeeded, the upload. */
  const backupRun = async (opts: { retention?: number; s3Retention?: number; bucket?: string } = {}) => {
    while (Math.floor(Date.now() / 1000) <= Math.floor(lastBackup / 1000)) await new Promise((r) => setTimeout(r, 50));
    lastBackup = Date.now();
    const dump = lab.run(["/bin/sh", "-c", backupScript({ dir: volume, retention: opts.retention ?? 7 })], lab.env(original));
    if (dump.status !== 0) return dump;
    return lab.run(["/bin/sh", "-c", uploadScript({ dir: volume, retention: opts.s3Retention ?? 7, target: { ...target(), bucket: opts.bucket ?? BUCKET } })], awsEnv());
  };
  /** One run of the restore-s3 pod into `server`: the download (init container), then the restore. */
  const restoreFromS3 = (server: Server, dir: string, env: Record<string, string> = {}) => {
    fs.rmSync(path.join(handoff, "restore-file"), { force: true });
    const download = lab.run(["/bin/sh", "-c", downloadScript({ dir, handoff, target: target() })], awsEnv(env));
    if (download.status !== 0) return download;
    const restore = lab.run(["/bin/sh", "-c", restoreFromHandoffScript({ dir, handoff })], lab.env(server));
    return { ...restore, stdout: `${download.stdout}${restore.stdout}` };
  };

  it("uploads the new dump with its checksum under the prefix, byte for byte", async () => {
    const r = await backupRun();
    assert.equal(r.status, 0, r.stderr);
    const [dump] = dumpsIn(volume);
    assert.deepEqual(keys(), [`${PREFIX}${dump}`, `${PREFIX}${dump}.sha256`]);
    assert.match(r.stdout, new RegExp(`upload: ${dump.replace(/\./g, "\\.")} to s3://${BUCKET}/${PREFIX}${dump.replace(/\./g, "\\.")} \\(\\d+ bytes\\)`));
    const copy = path.join(lab.dir, "copy.dump");
    aws("s3", "cp", `s3://${BUCKET}/${PREFIX}${dump}`, copy, "--only-show-errors");
    assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(path.join(volume, dump))), "the bucket's copy is the volume's dump");
    fs.rmSync(copy);
    const conf = fs.readFileSync(awsEnv().AWS_CONFIG_FILE, "utf8");
    assert.match(conf, /addressing_style = path/);
    assert.match(conf, /request_checksum_calculation = when_required/);
  });

  it("uploads a retained dump the bucket lacks (a failed upload is caught up by the next run)", async () => {
    const [first] = dumpsIn(volume);
    aws("s3", "rm", `s3://${BUCKET}/${PREFIX}${first}`, "--only-show-errors");
    aws("s3", "rm", `s3://${BUCKET}/${PREFIX}${first}.sha256`, "--only-show-errors");
    const r = await backupRun();
    assert.equal(r.status, 0, r.stderr);
    const dumps = dumpsIn(volume);
    assert.equal(dumps.length, 2);
    assert.deepEqual(keys(), dumps.flatMap((d) => [`${PREFIX}${d}`, `${PREFIX}${d}.sha256`]).sort());
    assert.match(r.stdout, /upload: done: 2 uploaded/);
  });

  it("keeps only the newest dumps the bucket's retention allows, touching nothing else in the bucket", async () => {
    fs.writeFileSync(path.join(lab.dir, "note.txt"), "not a dump\n");
    fs.chmodSync(path.join(lab.dir, "note.txt"), 0o644);
    aws("s3", "cp", path.join(lab.dir, "note.txt"), `s3://${BUCKET}/${PREFIX}notes.txt`, "--only-show-errors");
    aws("s3", "cp", path.join(lab.dir, "note.txt"), `s3://${BUCKET}/other/social/mastodon-20200101T000000Z.dump`, "--only-show-errors");
    for (let i = 0; i < 3; i++) {
      const r = await backupRun({ s3Retention: 2 });
      assert.equal(r.status, 0, r.stderr);
    }
    const newest = dumpsIn(volume).slice(-2);
    assert.equal(dumpsIn(volume).length, 5, "the volume keeps its own retention (7)");
    assert.deepEqual(keys(PREFIX), [...newest.flatMap((d) => [`${PREFIX}${d}`, `${PREFIX}${d}.sha256`]), `${PREFIX}notes.txt`].sort());
    assert.deepEqual(keys("other/"), ["other/social/mastodon-20200101T000000Z.dump"], "another prefix is another instance's");
  });

  it("restores the newest dump of the bucket into a fresh server on an empty volume: same schema, rows and sequences", () => {
    const emptyVolume = path.join(lab.dir, "new-volume");
    fs.mkdirSync(emptyVolume, { mode: 0o777 });
    fs.chmodSync(emptyVolume, 0o777);
    const r = restoreFromS3(fresh, emptyVolume);
    assert.equal(r.status, 0, r.stderr);
    const newest = dumpsIn(volume).slice(-1)[0];
    assert.deepEqual(dumpsIn(emptyVolume), [newest], "the newest dump of the bucket, downloaded onto the volume");
    assert.ok(fs.existsSync(path.join(emptyVolume, `${newest}.sha256`)));
    assert.equal(fs.readFileSync(path.join(handoff, "restore-file"), "utf8"), `${newest}\n`);
    assert.match(r.stdout, new RegExp(`restore: done: mastodon_production restored from ${newest.replace(/\./g, "\\.")}`));
    assert.deepEqual(lab.rowCounts(fresh), lab.rowCounts(original));
    assert.equal(lab.dump(fresh, "--schema-only"), lab.dump(original, "--schema-only"));
    assert.equal(lab.dump(fresh, "--data-only"), lab.dump(original, "--data-only"), "every row and sequence value");
  });

  it("restores the dump RESTORE_FILE names, and refuses a name that is not a dump's", () => {
    lab.psql(original, "INSERT INTO accounts (username, created_at, updated_at) VALUES ('after_the_upload', now(), now())");
    const [older] = dumpsIn(volume).slice(-2);
    const r = restoreFromS3(fresh, volume, { RESTORE_FILE: older });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`restored from ${older.replace(/\./g, "\\.")}`));
    assert.equal(lab.psql(fresh, "SELECT count(*) FROM accounts WHERE username = 'after_the_upload'"), "0");
    const bad = restoreFromS3(fresh, volume, { RESTORE_FILE: "../../etc/passwd" });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /restore: passwd is not a dump's name/);
  });

  it("refuses a dump of the bucket that does not match its checksum, leaving nothing behind and the database as it was", () => {
    const newest = dumpsIn(volume).slice(-1)[0];
    const corrupt = path.join(lab.dir, "corrupt.dump");
    const bytes = Buffer.from(fs.readFileSync(path.join(volume, newest)));
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(corrupt, bytes, { mode: 0o644 });
    aws("s3", "cp", corrupt, `s3://${BUCKET}/${PREFIX}${newest}`, "--only-show-errors");
    const elsewhere = path.join(lab.dir, "elsewhere");
    fs.mkdirSync(elsewhere, { mode: 0o777 });
    fs.chmodSync(elsewhere, 0o777);
    const before = lab.rowCounts(fresh);
    const r = restoreFromS3(fresh, elsewhere);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not match its checksum/);
    assert.deepEqual(fs.readdirSync(elsewhere), [], "no partial download left");
    assert.equal(fs.existsSync(path.join(handoff, "restore-file")), false, "nothing handed to the restore");
    assert.deepEqual(lab.rowCounts(fresh), before);
  });

  it("fails when the bucket cannot be reached, after the dump is safe on the volume", async () => {
    const before = dumpsIn(volume).length;
    const r = await backupRun({ bucket: "no-such-bucket" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /NoSuchBucket/);
    assert.equal(dumpsIn(volume).length, before + 1, "the dump is kept on the volume whatever the upload does");
  });
});
