/**
 * Backups of the embedded PostgreSQL, and the restore that makes them worth having.
 *
 *   - `${name}-backup`, a CronJob (concurrencyPolicy Forbid): pg_dump in custom format, run in the server's own image
 *     (so pg_dump's major version is the server's), onto a claim of its own (`${name}-backups`, protected and
 *     retained like the data's), checked by reading it back, with a sha256 beside it; the oldest dumps beyond
 *     `backups.retention` are then deleted. A failed run is a failed Job (kept for inspection), never a dump.
 *   - `${name}-restore`, a suspended CronJob that never runs on its own: the template of the restore Job, created on
 *     demand with `kubectl create job --from=cronjob/${name}-restore` (the `restoreCommand` output). It restores the
 *     newest dump (or RESTORE_FILE) into a new database, after saving the current one, and refuses while Mastodon is
 *     still connected.
 *
 * The two scripts are built here and nowhere else, so the CronJobs and the test that proves them
 * (test/provider/backups.spec.ts, against real PostgreSQL servers) run the same commands. Media are not backed up
 * here: a volume's or a bucket's backups are the storage's job.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildContext, childOpts } from "./context";
import { POSTGRES_PORT, postgresqlHost } from "./database";
import { POSTGRES_UID, containerResources, containerSecurityContext, podSecurityContext } from "./containers";
import { componentLabels, selectorLabels } from "./names";
import type { InstanceSecrets } from "./secrets";
import { persistentVolumeClaim } from "./storage";

/** Where the backup volume is mounted in the backup and restore pods. */
export const BACKUP_DIR = "/backups";
/** A dump's file name: `mastodon-20260812T033000Z.dump` (UTC), so names sort by age. */
export const DUMP_PATTERN = "^mastodon-[0-9]{8}T[0-9]{6}Z\\.dump$";
/** The database and user of the embedded server (its image's POSTGRES_USER is a superuser). */
export const EMBEDDED_DATABASE = "mastodon_production";
export const EMBEDDED_USER = "mastodon";

/** A shell word in single quotes. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The backup, a POSIX shell script. libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) say which
 * server and database; `dir` is the backup volume; `retention` how many dumps to keep.
 */
export function backupScript(opts: { dir: string; retention: number }): string {
  return [
    "set -eu",
    "umask 077",
    `dir=${quote(opts.dir)}`,
    `keep=${opts.retention}`,
    'stamp=$(date -u +%Y%m%dT%H%M%SZ)',
    'dump="$dir/mastodon-$stamp.dump"',
    // A run killed at its deadline leaves a partial file behind: never a dump, removed by the next run.
    'rm -f "$dir"/mastodon-*.dump.partial',
    'trap \'rm -f "$dump.partial"\' EXIT',
    'if [ -e "$dump" ]; then echo "backup: $dump exists already" >&2; exit 1; fi',
    // pg_dump must not be older than the server: the image is the server's own, checked anyway.
    "server=$(psql --no-psqlrc --tuples-only --no-align --command 'SHOW server_version_num')",
    "client=$(pg_dump --version | sed -n 's/^pg_dump (PostgreSQL) \\([0-9]*\\).*/\\1/p')",
    'if [ "$((server / 10000))" != "$client" ]; then',
    '  echo "backup: pg_dump $client does not match the server (version number $server): use the server\'s own image" >&2; exit 1',
    "fi",
    'echo "backup: dumping $PGDATABASE from $PGHOST:${PGPORT:-5432} (PostgreSQL $server) to $dump"',
    'pg_dump --format=custom --file="$dump.partial" --dbname="$PGDATABASE"',
    // The archive must read back whole before it counts as a backup.
    'pg_restore --list "$dump.partial" > /dev/null',
    'mv "$dump.partial" "$dump"',
    '(cd "$dir" && sha256sum "mastodon-$stamp.dump" > "mastodon-$stamp.dump.sha256")',
    `ls -1 "$dir" | grep -E ${quote(DUMP_PATTERN)} | sort -r | tail -n +$((keep + 1)) | while read -r old; do`,
    '  rm -f "$dir/$old" "$dir/$old.sha256"',
    '  echo "backup: removed $old (keeping $keep)"',
    "done",
    'echo "backup: done: $(wc -c < "$dump") bytes in $dump"',
  ].join("\n");
}

/**
 * The restore, a POSIX shell script: the newest dump in `dir`, or the one named by RESTORE_FILE, into the database
 * PGDATABASE, which it creates anew (template0, UTF8, owned by PGUSER). It refuses while anything else is connected
 * to that database (stop Mastodon first), and saves a database that has tables to `pre-restore-<time>.dump` before
 * dropping it. pg_restore runs in one transaction and stops at the first error: a failed restore leaves an empty
 * database and the dump untouched.
 */
export function restoreScript(opts: { dir: string }): string {
  return [
    "set -eu",
    "umask 077",
    `dir=${quote(opts.dir)}`,
    'db="$PGDATABASE"',
    'file="${RESTORE_FILE:-latest}"',
    'if [ "$file" = latest ]; then',
    `  file=$(ls -1 "$dir" | grep -E ${quote(DUMP_PATTERN)} | sort | tail -n 1 || true)`,
    '  if [ -z "$file" ]; then echo "restore: no dump in $dir" >&2; exit 1; fi',
    "fi",
    'dump="$dir/$(basename "$file")"',
    'if [ ! -f "$dump" ]; then echo "restore: $dump does not exist" >&2; exit 1; fi',
    'if [ -f "$dump.sha256" ]; then',
    '  (cd "$dir" && sha256sum -c "$(basename "$dump").sha256" > /dev/null) || { echo "restore: $dump does not match its checksum" >&2; exit 1; }',
    "else",
    '  echo "restore: $dump has no checksum beside it; reading it through instead"',
    "fi",
    'pg_restore --list "$dump" > /dev/null',
    'sql() { psql --no-psqlrc --set ON_ERROR_STOP=1 --tuples-only --no-align --dbname=postgres --set db="$db" --set owner="$PGUSER"; }',
    `others=$(echo "SELECT count(*) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid();" | sql)`,
    'if [ "$others" != 0 ]; then',
    '  echo "restore: $others other connection(s) to $db: stop Mastodon (web, streaming, sidekiq) first" >&2; exit 1',
    "fi",
    `if [ "$(echo "SELECT count(*) FROM pg_database WHERE datname = :'db';" | sql)" = 1 ]; then`,
    "  tables=$(psql --no-psqlrc --tuples-only --no-align --dbname=\"$db\" --command \"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'\")",
    '  if [ "$tables" != 0 ]; then',
    '    saved="$dir/pre-restore-$(date -u +%Y%m%dT%H%M%SZ).dump"',
    '    echo "restore: $db holds $tables tables: saving it to $saved first"',
    '    pg_dump --format=custom --file="$saved" --dbname="$db"',
    "  fi",
    "  echo 'DROP DATABASE :\"db\";' | sql > /dev/null",
    "fi",
    "echo \"CREATE DATABASE :\\\"db\\\" WITH TEMPLATE template0 ENCODING 'UTF8' OWNER :\\\"owner\\\";\" | sql > /dev/null",
    'echo "restore: restoring $(basename "$dump") into $db"',
    'pg_restore --exit-on-error --single-transaction --no-owner --role="$PGUSER" --dbname="$db" "$dump"',
    'psql --no-psqlrc --quiet --dbname="$db" --command "ANALYZE"',
    'echo "restore: done: $db restored from $(basename "$dump")"',
  ].join("\n");
}

export interface BackupParts {
  cronJob: k8s.batch.v1.CronJob;
  restoreCronJob: k8s.batch.v1.CronJob;
  claim: k8s.core.v1.PersistentVolumeClaim;
  policies: k8s.networking.v1.NetworkPolicy[];
}

/**
 * The backup and restore CronJobs of the embedded PostgreSQL, their volume and their NetworkPolicies. The password
 * comes from the instance's env Secret (`DB_PASS`); `dependsOn` is the server.
 */
export function postgresqlBackups(ctx: BuildContext, secretName: pulumi.Input<string>, dependsOn: pulumi.Input<pulumi.Resource>[]): BackupParts {
  const { name, namespace, config } = ctx;
  const backups = config.backups;
  const labels = componentLabels(name, "backup");
  const claim = persistentVolumeClaim(ctx, {
    id: "backups",
    component: "backup",
    size: backups.storageSize,
    storageClassName: backups.storageClassName,
    accessMode: "ReadWriteOnce",
  });

  const env = [
    { name: "PGHOST", value: postgresqlHost(config) },
    { name: "PGPORT", value: String(POSTGRES_PORT) },
    { name: "PGUSER", value: EMBEDDED_USER },
    { name: "PGDATABASE", value: EMBEDDED_DATABASE },
    { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "DB_PASS" } } },
  ];
  const jobSpec = (container: string, script: string, extraEnv: { name: string; value: string }[] = []) => ({
    // One retry: a second failure leaves a failed Job to inspect, and the next schedule tries again.
    backoffLimit: 1,
    activeDeadlineSeconds: backups.activeDeadlineSeconds,
    template: {
      metadata: { labels: { ...labels, ...selectorLabels(name, "backup") } },
      spec: {
        securityContext: podSecurityContext(POSTGRES_UID),
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        containers: [{
          name: container,
          image: config.postgresql.image,
          command: ["/bin/sh", "-c", script],
          env: [...env, ...extraEnv],
          resources: containerResources(backups.resources),
          securityContext: containerSecurityContext,
          volumeMounts: [{ name: "backups", mountPath: BACKUP_DIR }],
        }],
        volumes: [{ name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } }],
      },
    },
  });

  const policies = backupNetworkPolicies(ctx);
  const cronJob = new k8s.batch.v1.CronJob(`${name}-backup`, {
    metadata: { name: `${name}-backup`, namespace, labels },
    spec: {
      schedule: backups.schedule,
      concurrencyPolicy: "Forbid",
      // A run missed (controller down, node drained) still happens within the hour.
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels }, spec: jobSpec("backup", backupScript({ dir: BACKUP_DIR, retention: backups.retention })) },
    },
  }, childOpts(ctx, { dependsOn: [...dependsOn, ...policies] }));

  const restoreCronJob = new k8s.batch.v1.CronJob(`${name}-restore`, {
    metadata: {
      name: `${name}-restore`,
      namespace,
      labels,
      annotations: { "mastodon.pulumi.com/usage": `kubectl create job --from=cronjob/${name}-restore ${name}-restore-<suffix> (docs/operations.md)` },
    },
    spec: {
      // Never scheduled: only the template of the restore Job, which an operator creates on purpose.
      suspend: true,
      schedule: "0 0 1 1 *",
      concurrencyPolicy: "Forbid",
      jobTemplate: { metadata: { labels }, spec: { ...jobSpec("restore", restoreScript({ dir: BACKUP_DIR }), [{ name: "RESTORE_FILE", value: "latest" }]), backoffLimit: 0 } },
    },
  }, childOpts(ctx, { dependsOn: [...dependsOn, ...policies] }));

  return { cronJob, restoreCronJob, claim, policies };
}

/** The NetworkPolicy specs of the backup pods, by name suffix: to the embedded server only, and it from them. */
export function backupNetworkPolicySpecs(name: string): Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> {
  const backup = { matchLabels: selectorLabels(name, "backup") };
  const ports = [{ protocol: "TCP", port: POSTGRES_PORT }];
  return {
    backup: {
      podSelector: backup,
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: selectorLabels(name, "postgresql") } }], ports }],
    },
    "postgresql-backup": {
      podSelector: { matchLabels: selectorLabels(name, "postgresql") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: backup }], ports }],
    },
  };
}

function backupNetworkPolicies(ctx: BuildContext): k8s.networking.v1.NetworkPolicy[] {
  return Object.entries(backupNetworkPolicySpecs(ctx.name)).map(([id, spec]) => new k8s.networking.v1.NetworkPolicy(`${ctx.name}-${id}`, {
    metadata: { name: `${ctx.name}-${id}`, namespace: ctx.namespace, labels: componentLabels(ctx.name, "backup") },
    spec,
  }, childOpts(ctx)));
}

/** The command that starts a restore Job from the template (the newest dump; see docs/operations.md for another). */
export function restoreCommand(name: string, namespace: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`kubectl --namespace ${namespace} create job --from=cronjob/${name}-restore ${name}-restore-$(date +%s)`;
}

/**
 * What makes a restored database readable, as the `secrets` input takes it (JSON): SECRET_KEY_BASE, OTP_SECRET, the
 * VAPID keys, the Active Record encryption keys, and the passwords of the servers the component runs (the embedded
 * ones, CloudNativePG's database owner). A Pulumi secret: read it with
 * `pulumi stack output --show-secrets secretsExport` and keep it with the dumps, apart from them.
 */
export function secretsExport(secrets: InstanceSecrets, runs: { postgresql: boolean; redis: boolean }): pulumi.Output<string> {
  const values: Record<string, pulumi.Output<string> | undefined> = {
    secretKeyBase: secrets.secretKeyBase,
    otpSecret: secrets.otpSecret,
    vapidPrivateKey: secrets.vapidPrivateKey,
    vapidPublicKey: secrets.vapidPublicKey,
    activeRecordEncryptionPrimaryKey: secrets.activeRecordEncryptionPrimaryKey,
    activeRecordEncryptionDeterministicKey: secrets.activeRecordEncryptionDeterministicKey,
    activeRecordEncryptionKeyDerivationSalt: secrets.activeRecordEncryptionKeyDerivationSalt,
    postgresqlPassword: runs.postgresql ? secrets.postgresqlPassword : undefined,
    redisPassword: runs.redis ? secrets.redisPassword : undefined,
  };
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, pulumi.Output<string>>;
  return pulumi.secret(pulumi.all(given).apply((v) => JSON.stringify(v, null, 2)));
}
