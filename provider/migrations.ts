/**
 * The rollout order Mastodon requires, wired through the engine's dependency graph (no Helm hooks):
 *
 *   data tier ready ─► pre-deployment migration ─► web, streaming, sidekiq rolled out ─► post-deployment migration
 *
 * 1. The pre-deployment Job runs in the NEW image, against PostgreSQL directly, once PostgreSQL and
 *    Redis are ready (the engine awaits their StatefulSets). On an existing database it runs the
 *    pending pre-deployment migrations (`db:migrate` with SKIP_POST_DEPLOYMENT_MIGRATIONS=true). On
 *    an empty one it loads the schema with `db:prepare`, WITHOUT that variable: loading the schema
 *    marks as done the migrations it finds, and with the variable set Mastodon hides
 *    db/post_migrate, so the post-deployment step would then replay every post-deployment
 *    migration against the final schema, and fail (the official chart likewise prepares a new
 *    database without it).
 * 2. Every Deployment depends on it: the engine rolls them out only after it completed, and awaits
 *    each rollout (every pod on the new ReplicaSet).
 * 3. The post-deployment Job (`db:migrate`) depends on every Deployment.
 *
 * A Job's pod template is immutable, so a version change (a new image) replaces both Jobs: they run
 * again; nothing else of the data tier changes. Pulumi names the Jobs (`social-db-migrate-pre-` and
 * a random suffix), so every replacement is a Job of a new name: one computed from the image would
 * come back when an update returns to an earlier image (a failed upgrade rolled back), and the
 * engine would take the earlier, completed Job for the new one and then delete it as the replaced
 * resource (seen by the live suite). A failed Job fails `pulumi up` before anything later in the
 * chain changes; the Jobs carry `pulumi.com/replaceUnready`, so the next `pulumi up` replaces a
 * failed Job and retries.
 *
 * Around that chain (`operations` below):
 *
 *   PostgreSQL ready ─► backup CronJob (and the restore Job's template): nothing of the rollout waits for them
 *   post-deployment migration ─► maintenance CronJobs (the new image's tootctl only on a migrated schema)
 *                            ─► first-admin Job (once; it finds the account on every later run)
 *                            ─► search index Job (`tootctl search deploy`, with search on; the embedded search
 *                               server ready too): the new version's index definitions, filled from the database
 *   web, streaming, sidekiq rolled out ─► their metrics Services (and ServiceMonitor), when metrics are on
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MIGRATION_CONNECTIONS } from "./args";
import { BuildContext, childOpts } from "./context";
import { AdminParts, adminJob } from "./admin";
import { jobAlerts, watchedCronJobs } from "./alerts";
import { BackupParts, postgresqlBackups } from "./backups";
import { postgresqlDirectHost } from "./database";
import { maintenanceCronJobs } from "./maintenance";
import { MetricsParts, instanceMetrics } from "./metrics";
import { searchDeployJob } from "./search";
import { componentLabels } from "./names";
import { processEnv } from "./workloads/env";
import { MastodonRuntime, mastodonPodTemplate } from "./workloads/mastodonPod";
import { sidekiqDeployments } from "./workloads/sidekiq";
import { streamingDeployment } from "./workloads/streaming";
import { webDeployment } from "./workloads/web";

export type MigrationStep = "pre" | "post";

/** Exit status of the probe below when the database has no schema yet (or does not exist). */
export const EMPTY_DATABASE_STATUS = 3;

/**
 * The pre-deployment step: probe whether the database has a schema, then either load it (a fresh
 * install) or run only the pre-deployment migrations (an upgrade). A probe that fails for another
 * reason (the database unreachable) fails the Job rather than guess: guessing "empty" would run
 * the post-deployment migrations before the rollout.
 */
export const PRE_MIGRATION_SCRIPT = [
  "status=0",
  "bundle exec rails runner '" +
    "begin; exit(ActiveRecord::Base.connection_pool.with_connection { |c| c.table_exists?(:schema_migrations) } ? 0 : " +
    `${EMPTY_DATABASE_STATUS}); rescue ActiveRecord::NoDatabaseError => e; ` +
    // Rails raises NoDatabaseError for any connection error that names the database: only PostgreSQL's own
    // "does not exist" means there is none yet; anything else (a timeout, too many connections) fails the Job.
    `exit((e.cause || e).message.to_s.include?("does not exist") ? ${EMPTY_DATABASE_STATUS} : 1); end' || status=$?`,
  'case "$status" in',
  '  0) echo "existing database: running the pre-deployment migrations"; export SKIP_POST_DEPLOYMENT_MIGRATIONS=true; exec bundle exec rails db:migrate ;;',
  `  ${EMPTY_DATABASE_STATUS}) echo "empty database: loading the schema"; exec bundle exec rails db:prepare ;;`,
  '  *) echo "could not read the database schema (status $status)" >&2; exit "$status" ;;',
  "esac",
].join("\n");

export const MIGRATION_COMMANDS: Record<MigrationStep, string[]> = {
  pre: ["/bin/sh", "-c", PRE_MIGRATION_SCRIPT],
  post: ["bundle", "exec", "rails", "db:migrate"],
};

/** The engine waits for a Job until Kubernetes has stopped it, and a little longer (to see it fail). */
export function migrationTimeouts(activeDeadlineSeconds: number): pulumi.CustomTimeouts {
  const minutes = `${Math.ceil(activeDeadlineSeconds / 60) + 10}m`;
  return { create: minutes, update: minutes };
}

export function migrationJob(ctx: BuildContext, rt: MastodonRuntime, step: MigrationStep, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const env: Record<string, string> = { DB_POOL: String(MIGRATION_CONNECTIONS) };
  return new k8s.batch.v1.Job(`${name}-db-migrate-${step}`, {
    // No name: Pulumi names it, anew at each replacement (see above).
    metadata: {
      namespace,
      labels: componentLabels(name, "db-migrate", config.version.tag),
      // A failed Job is replaced (so retried) by the next `pulumi up`.
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: config.migrations.activeDeadlineSeconds,
      template: mastodonPodTemplate(ctx, rt, {
        component: "db-migrate",
        version: config.version.tag,
        mountsMedia: false,
        restartPolicy: "Never",
        resources: config.migrations.resources,
        container: {
          name: `db-migrate-${step}`,
          command: MIGRATION_COMMANDS[step],
          // Migrations bypass any transaction pooler.
          env: [...processEnv(env), { name: "DB_HOST", value: postgresqlDirectHost(config) }],
        },
      }),
    },
  }, childOpts(ctx, { dependsOn, customTimeouts: migrationTimeouts(config.migrations.activeDeadlineSeconds) }));
}

export interface Rollout {
  preMigrationJob: k8s.batch.v1.Job;
  web: ReturnType<typeof webDeployment>;
  streaming: ReturnType<typeof streamingDeployment>;
  sidekiq: k8s.apps.v1.Deployment[];
  postMigrationJob: k8s.batch.v1.Job;
}

/** Creates the Jobs and the processes in Mastodon's order; `dataReady` are the data tier's resources. */
export function rollout(ctx: BuildContext, rt: MastodonRuntime, dataReady: pulumi.Input<pulumi.Resource>[]): Rollout {
  const preMigrationJob = migrationJob(ctx, rt, "pre", dataReady);
  const web = webDeployment(ctx, rt, [preMigrationJob]);
  const streaming = streamingDeployment(ctx, rt, [preMigrationJob]);
  const sidekiq = sidekiqDeployments(ctx, rt, [preMigrationJob]);
  const postMigrationJob = migrationJob(ctx, rt, "post", [web.deployment, streaming.deployment, ...sidekiq]);
  return { preMigrationJob, web, streaming, sidekiq, postMigrationJob };
}

export interface Operations {
  backups?: BackupParts;
  maintenance: k8s.batch.v1.CronJob[];
  admin?: AdminParts;
  metrics?: MetricsParts;
  /** With `metrics.alerts`: the PrometheusRule on the scheduled CronJobs (alerts.ts). */
  alerts?: k8s.apiextensions.CustomResource;
  /** The search index Job, with search on. */
  searchDeploy?: k8s.batch.v1.Job;
}

/**
 * The operations around the rollout, in their place in the order: backups once the embedded PostgreSQL (`server`)
 * is ready, whatever the rollout does; maintenance, the first admin and the search index after the post-deployment
 * migration (the index also after the embedded search server, `searchServer`); the metrics Services after the
 * processes they select; the alerts on the CronJobs (names only: they await nothing).
 */
export function operations(ctx: BuildContext, rt: MastodonRuntime, server: pulumi.Resource[] | undefined, processes: Rollout,
  searchServer: pulumi.Resource[] = []): Operations {
  const backups = ctx.config.backups.enabled && server ? postgresqlBackups(ctx, rt.secretName, server) : undefined;
  const maintenance = maintenanceCronJobs(ctx, rt, [processes.postMigrationJob]);
  const admin = adminJob(ctx, rt, [processes.postMigrationJob]);
  const metrics = instanceMetrics(ctx, [processes.web.deployment, processes.streaming.deployment, ...processes.sidekiq]);
  const searchDeploy = searchDeployJob(ctx, rt, [processes.postMigrationJob, ...searchServer]);
  const alerts = jobAlerts(ctx, watchedCronJobs(ctx.config, backups !== undefined));
  return { backups, maintenance, admin, metrics, alerts, searchDeploy };
}
