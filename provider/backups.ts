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
 *   - With `backups.s3`, a copy off the cluster's disks: the backup pod's dump runs as its init container, then the
 *     official AWS CLI image uploads the new dump (and any retained dump the bucket lacks) with its sha256, checks
 *     the size the bucket reports, and keeps the newest `backups.s3.retention` there; `${name}-restore-s3`, another
 *     suspended template, downloads the newest dump of the bucket (or RESTORE_FILE) onto the backup volume,
 *     checks it against its sha256, and restores it as above.
 *
 * The scripts are built here and nowhere else, so the CronJobs and the tests that prove them
 * (test/provider/backups.spec.ts, against real PostgreSQL servers and a real S3-compatible server) run the same
 * commands. Media are not backed up here: a volume's or a bucket's backups are the storage's job.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { POSTGRES_PORT, postgresqlHost } from "./database";
import { POSTGRES_UID, containerResources, containerSecurityContext, podSecurityContext } from "./containers";
import { STARTING_DEADLINE_SECONDS, componentLabels, selectorLabels } from "./names";
import { PUBLIC_CIDRS, addressedServerPeers, cidrPeers, endpointPort } from "./network";
import type { InstanceSecrets } from "./secrets";
import { persistentVolumeClaim } from "./storage";

/** Where the backup volume is mounted in the backup and restore pods. */
export const BACKUP_DIR = "/backups";
/** A dump's file name: `mastodon-20260812T033000Z.dump` (UTC), so names sort by age. */
export const DUMP_PATTERN = "^mastodon-[0-9]{8}T[0-9]{6}Z\\.dump$";
/** Where the backup and restore-s3 pods pass the name of the dump to restore (an emptyDir). */
export const HANDOFF_DIR = "/handoff";
/** The AWS CLI's configuration, written by the S3 scripts (an emptyDir: the image's user has no home). */
export const AWS_CONFIG_FILE = "/tmp/aws/config";
/** The database and user of the embedded server (its image's POSTGRES_USER is a superuser). */
export const EMBEDDED_DATABASE = "mastodon_production";
export const EMBEDDED_USER = "mastodon";

/** The backup CronJob's name (the alerts of metrics.ts select it by this name too). */
export function backupCronJobName(instance: string): string {
  return `${instance}-backup`;
}

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

/** Where the S3 scripts find the bucket. */
export interface S3Target {
  endpoint: string;
  bucket: string;
  /** Empty, or ending with "/". */
  prefix: string;
  pathStyle: boolean;
}

/**
 * What both S3 scripts start with: the AWS CLI's configuration (AWS_CONFIG_FILE, written here) and an `s3`
 * function for the endpoint. Checksums only when required: the CLI's newer default (CRC trailers on every upload)
 * is refused by many S3-compatible servers; the dumps carry their own sha256. Four 8 MiB parts in flight at most.
 */
function s3Prelude(dir: string, target: S3Target): string[] {
  return [
    "set -eu",
    "umask 077",
    `dir=${quote(dir)}`,
    `endpoint=${quote(target.endpoint)}`,
    `bucket=${quote(target.bucket)}`,
    `prefix=${quote(target.prefix)}`,
    'dest="s3://$bucket/$prefix"',
    'conf="${AWS_CONFIG_FILE:?set AWS_CONFIG_FILE to the file this script writes}"',
    'mkdir -p "$(dirname "$conf")"',
    `cat > "$conf" <<'EOF'`,
    "[default]",
    "request_checksum_calculation = when_required",
    "response_checksum_validation = when_required",
    "s3 =",
    `    addressing_style = ${target.pathStyle ? "path" : "virtual"}`,
    "    max_concurrent_requests = 4",
    "    multipart_chunksize = 8MB",
    "EOF",
    's3() { aws --endpoint-url "$endpoint" "$@"; }',
    // The dumps under the prefix, one name a line (the CLI prints "None" for an empty listing: filtered out).
    "dumps_in_bucket() {",
    `  s3 s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix" --query 'Contents[].[Key]' --output text > "$conf.list"`,
    `  while IFS= read -r key; do printf '%s\\n' "\${key#"$prefix"}"; done < "$conf.list" | grep -E ${quote(DUMP_PATTERN)} || true`,
    "}",
  ];
}

/**
 * The upload, a POSIX shell script for the AWS CLI image, run after the backup: every dump the volume retains
 * (newest first, at most `retention`) that the bucket lacks is checked against its sha256, uploaded with it, and
 * its size in the bucket compared with the file's; then the oldest dumps of the bucket beyond `retention` are
 * deleted with their checksums. Credentials and region come from the AWS CLI's variables.
 */
export function uploadScript(opts: { dir: string; retention: number; target: S3Target }): string {
  return [
    ...s3Prelude(opts.dir, opts.target),
    `keep=${opts.retention}`,
    `local=$(ls -1 "$dir" | grep -E ${quote(DUMP_PATTERN)} | sort -r | head -n "$keep" || true)`,
    'if [ -z "$local" ]; then echo "upload: no dump in $dir" >&2; exit 1; fi',
    "remote=$(dumps_in_bucket)",
    "uploaded=0",
    "for dump in $local; do",
    `  if printf '%s\\n' "$remote" | grep -qxF "$dump"; then continue; fi`,
    '  (cd "$dir" && sha256sum -c "$dump.sha256" > /dev/null) || { echo "upload: $dump does not match its checksum: not uploaded" >&2; exit 1; }',
    // The checksum first: a dump in the bucket always has its checksum beside it.
    '  s3 s3 cp "$dir/$dump.sha256" "$dest$dump.sha256" --only-show-errors',
    '  s3 s3 cp "$dir/$dump" "$dest$dump" --only-show-errors',
    `  size=$(s3 s3api head-object --bucket "$bucket" --key "$prefix$dump" --query ContentLength --output text)`,
    '  bytes=$(($(wc -c < "$dir/$dump")))',
    `  if [ "$size" != "$bytes" ]; then echo "upload: $dest$dump holds $size bytes, the volume's file $bytes" >&2; exit 1; fi`,
    '  echo "upload: $dump to $dest$dump ($size bytes)"',
    "  uploaded=$((uploaded + 1))",
    "done",
    "remote=$(dumps_in_bucket)",
    `printf '%s\\n' "$remote" | sort -r | tail -n +$((keep + 1)) | while read -r old; do`,
    '  s3 s3 rm "$dest$old" --only-show-errors',
    '  s3 s3 rm "$dest$old.sha256" --only-show-errors',
    '  echo "upload: removed $old from the bucket (keeping $keep)"',
    "done",
    'echo "upload: done: $uploaded uploaded; $dest holds $(dumps_in_bucket | wc -l) dump(s)"',
  ].join("\n");
}

/**
 * The download before a restore from the bucket, a POSIX shell script for the AWS CLI image: the newest dump under
 * the prefix (or the one named by RESTORE_FILE) and its sha256, onto the backup volume, checked, then its name
 * written to `handoff` for the restore that follows (`restoreFromHandoffScript`).
 */
export function downloadScript(opts: { dir: string; handoff: string; target: S3Target }): string {
  return [
    ...s3Prelude(opts.dir, opts.target),
    `handoff=${quote(opts.handoff)}`,
    'file="${RESTORE_FILE:-latest}"',
    'if [ "$file" = latest ]; then',
    "  names=$(dumps_in_bucket)",
    `  file=$(printf '%s\\n' "$names" | sort | tail -n 1)`,
    '  if [ -z "$file" ]; then echo "restore: no dump under $dest" >&2; exit 1; fi',
    "fi",
    'file=$(basename "$file")',
    `if ! printf '%s\\n' "$file" | grep -qE ${quote(DUMP_PATTERN)}; then echo "restore: $file is not a dump's name (mastodon-<UTC time>.dump)" >&2; exit 1; fi`,
    'echo "restore: downloading $dest$file"',
    'rm -f "$dir/$file.download" "$dir/$file.sha256.download"',
    'trap \'rm -f "$dir/$file.download" "$dir/$file.sha256.download"\' EXIT',
    's3 s3 cp "$dest$file.sha256" "$dir/$file.sha256.download" --only-show-errors',
    's3 s3 cp "$dest$file" "$dir/$file.download" --only-show-errors',
    `expected=$(cut -d ' ' -f 1 < "$dir/$file.sha256.download")`,
    `actual=$(sha256sum < "$dir/$file.download" | cut -d ' ' -f 1)`,
    'if [ "$expected" != "$actual" ]; then echo "restore: $dest$file does not match its checksum" >&2; exit 1; fi',
    'mv "$dir/$file.download" "$dir/$file"',
    'mv "$dir/$file.sha256.download" "$dir/$file.sha256"',
    `printf '%s\\n' "$file" > "$handoff/restore-file"`,
    'echo "restore: $file downloaded and checked ($(($(wc -c < "$dir/$file"))) bytes)"',
  ].join("\n");
}

/** The restore after a download: `restoreScript` on the dump whose name the download left in `handoff`. */
export function restoreFromHandoffScript(opts: { dir: string; handoff: string }): string {
  return [
    "set -eu",
    `RESTORE_FILE=$(cat ${quote(`${opts.handoff}/restore-file`)})`,
    "export RESTORE_FILE",
    restoreScript({ dir: opts.dir }),
  ].join("\n");
}

export interface BackupParts {
  cronJob: k8s.batch.v1.CronJob;
  restoreCronJob: k8s.batch.v1.CronJob;
  /** With `backups.s3`: the template of the restore from the bucket, and the bucket's credentials. */
  restoreFromS3CronJob?: k8s.batch.v1.CronJob;
  s3Secret?: k8s.core.v1.Secret;
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

  type Container = k8s.types.input.core.v1.Container;
  const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } }];
  const backupsMount = { name: "backups", mountPath: BACKUP_DIR };
  const postgresEnv = [
    { name: "PGHOST", value: postgresqlHost(config) },
    { name: "PGPORT", value: String(POSTGRES_PORT) },
    { name: "PGUSER", value: EMBEDDED_USER },
    { name: "PGDATABASE", value: EMBEDDED_DATABASE },
    { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "DB_PASS" } } },
  ];
  const postgres = (container: string, script: string, extraEnv: { name: string; value: string }[] = [], mounts: { name: string; mountPath: string }[] = []): Container => ({
    name: container,
    image: config.postgresql.image,
    command: ["/bin/sh", "-c", script],
    env: [...postgresEnv, ...extraEnv],
    resources: containerResources(backups.resources),
    securityContext: containerSecurityContext,
    volumeMounts: [backupsMount, ...mounts],
  });
  const jobSpec = (containers: Container[], initContainers: Container[] = [], extraVolumes: k8s.types.input.core.v1.Volume[] = []) => ({
    // One retry: a second failure leaves a failed Job to inspect, and the next schedule tries again.
    backoffLimit: 1,
    activeDeadlineSeconds: backups.activeDeadlineSeconds,
    template: {
      metadata: { labels: { ...labels, ...selectorLabels(name, "backup") } },
      spec: {
        securityContext: podSecurityContext(POSTGRES_UID),
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        ...(initContainers.length > 0 ? { initContainers } : {}),
        containers,
        volumes: [...volumes, ...extraVolumes],
      },
    },
  });

  // With a bucket: its credentials, the AWS CLI container, and the scratch and hand-off folders it needs.
  const s3 = backups.s3;
  const s3Parts = s3 && (() => {
    const secret = new k8s.core.v1.Secret(`${name}-backup-s3`, {
      metadata: { namespace, labels },
      type: "Opaque",
      stringData: { AWS_ACCESS_KEY_ID: pulumi.secret(s3.accessKeyId), AWS_SECRET_ACCESS_KEY: pulumi.secret(s3.secretAccessKey) },
    }, childOpts(ctx));
    const target: S3Target = { endpoint: s3.endpoint, bucket: s3.bucket, prefix: s3.prefix, pathStyle: s3.pathStyle };
    const awsCli = (container: string, script: string, extraEnv: { name: string; value: string }[] = [], mounts: { name: string; mountPath: string }[] = []): Container => ({
      name: container,
      image: s3.image,
      command: ["/bin/sh", "-c", script],
      env: [
        { name: "AWS_DEFAULT_REGION", value: s3.region },
        { name: "AWS_CONFIG_FILE", value: AWS_CONFIG_FILE },
        { name: "AWS_EC2_METADATA_DISABLED", value: "true" },
        { name: "AWS_PAGER", value: "" },
        { name: "HOME", value: "/tmp" },
        ...["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } })),
        ...extraEnv,
      ],
      resources: containerResources(s3.resources),
      securityContext: containerSecurityContext,
      volumeMounts: [backupsMount, { name: "tmp", mountPath: "/tmp" }, ...mounts],
    });
    return { secret, target, awsCli, tmp: { name: "tmp", emptyDir: { sizeLimit: "64Mi" } } };
  })();

  const policies = backupNetworkPolicies(ctx);
  const backupScriptText = backupScript({ dir: BACKUP_DIR, retention: backups.retention });
  const backupJob = s3Parts
    // The dump first (an init container: the upload never starts after a failed dump), then the upload.
    ? jobSpec([s3Parts.awsCli("upload", uploadScript({ dir: BACKUP_DIR, retention: s3!.retention, target: s3Parts.target }))], [postgres("backup", backupScriptText)], [s3Parts.tmp])
    : jobSpec([postgres("backup", backupScriptText)]);
  const cronJob = new k8s.batch.v1.CronJob(backupCronJobName(name), {
    metadata: { name: backupCronJobName(name), namespace, labels },
    spec: {
      schedule: backups.schedule,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels }, spec: backupJob },
    },
  }, childOpts(ctx, { dependsOn: [...dependsOn, ...policies] }));

  const restoreTemplate = (id: string, spec: ReturnType<typeof jobSpec>) => new k8s.batch.v1.CronJob(`${name}-${id}`, {
    metadata: {
      name: `${name}-${id}`,
      namespace,
      labels,
      annotations: { "mastodon.pulumi.com/usage": `kubectl create job --from=cronjob/${name}-${id} ${name}-${id}-<suffix> (docs/operations.md)` },
    },
    spec: {
      // Never scheduled: only the template of the restore Job, which an operator creates on purpose.
      suspend: true,
      schedule: "0 0 1 1 *",
      concurrencyPolicy: "Forbid",
      jobTemplate: { metadata: { labels }, spec: { ...spec, backoffLimit: 0 } },
    },
  }, childOpts(ctx, { dependsOn: [...dependsOn, ...policies] }));
  const restoreCronJob = restoreTemplate("restore", jobSpec([postgres("restore", restoreScript({ dir: BACKUP_DIR }), [{ name: "RESTORE_FILE", value: "latest" }])]));
  const handoff = { name: "handoff", mountPath: HANDOFF_DIR };
  // From the bucket: the download (RESTORE_FILE names the dump), then the same restore on what it downloaded.
  const restoreFromS3CronJob = s3Parts && restoreTemplate("restore-s3", jobSpec(
    [postgres("restore", restoreFromHandoffScript({ dir: BACKUP_DIR, handoff: HANDOFF_DIR }), [], [handoff])],
    [s3Parts.awsCli("download", downloadScript({ dir: BACKUP_DIR, handoff: HANDOFF_DIR, target: s3Parts.target }), [{ name: "RESTORE_FILE", value: "latest" }], [handoff])],
    [s3Parts.tmp, { name: "handoff", emptyDir: { sizeLimit: "1Mi" } }],
  ));

  return { cronJob, restoreCronJob, restoreFromS3CronJob, s3Secret: s3Parts?.secret, claim, policies };
}

/**
 * The NetworkPolicy specs of the backup pods, by name suffix: to the embedded server only, and it from them; with
 * `backups.s3`, to the bucket's endpoint on its port only (its Service's namespace, or its address; with
 * allowPublicEgress anywhere on that port).
 */
export function backupNetworkPolicySpecs(config: MastodonConfig): Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> {
  const name = config.name;
  const backup = { matchLabels: selectorLabels(name, "backup") };
  const ports = [{ protocol: "TCP", port: POSTGRES_PORT }];
  const specs: Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> = {
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
  const s3 = config.backups.s3;
  if (s3) {
    const host = new URL(s3.endpoint).hostname.replace(/^\[|\]$/g, "");
    specs["backup-s3"] = {
      podSelector: backup,
      policyTypes: ["Egress"],
      egress: [{
        to: [...addressedServerPeers(host, config.namespace), ...(config.allowPublicEgress ? cidrPeers(PUBLIC_CIDRS) : [])],
        ports: [{ protocol: "TCP", port: endpointPort(s3.endpoint) }],
      }],
    };
  }
  return specs;
}

function backupNetworkPolicies(ctx: BuildContext): k8s.networking.v1.NetworkPolicy[] {
  return Object.entries(backupNetworkPolicySpecs(ctx.config)).map(([id, spec]) => new k8s.networking.v1.NetworkPolicy(`${ctx.name}-${id}`, {
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
 * ones, CloudNativePG's database owner and superuser). A Pulumi secret: read it with
 * `pulumi stack output --show-secrets secretsExport` and keep it with the dumps, apart from them.
 */
export function secretsExport(secrets: InstanceSecrets, runs: { postgresql: boolean; postgresqlSuperuser: boolean; redis: boolean }): pulumi.Output<string> {
  const values: Record<string, pulumi.Output<string> | undefined> = {
    secretKeyBase: secrets.secretKeyBase,
    otpSecret: secrets.otpSecret,
    vapidPrivateKey: secrets.vapidPrivateKey,
    vapidPublicKey: secrets.vapidPublicKey,
    activeRecordEncryptionPrimaryKey: secrets.activeRecordEncryptionPrimaryKey,
    activeRecordEncryptionDeterministicKey: secrets.activeRecordEncryptionDeterministicKey,
    activeRecordEncryptionKeyDerivationSalt: secrets.activeRecordEncryptionKeyDerivationSalt,
    postgresqlPassword: runs.postgresql ? secrets.postgresqlPassword : undefined,
    postgresqlSuperuserPassword: runs.postgresqlSuperuser ? secrets.postgresqlSuperuserPassword : undefined,
    redisPassword: runs.redis ? secrets.redisPassword : undefined,
  };
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, pulumi.Output<string>>;
  return pulumi.secret(pulumi.all(given).apply((v) => JSON.stringify(v, null, 2)));
}
