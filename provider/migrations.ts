/**
 * The rollout order Mastodon requires, wired through the engine's dependency graph (no Helm hooks):
 *
 *   data tier ready ─► pre-deployment migration ─► web, streaming, sidekiq rolled out ─► post-deployment migration
 *
 * 1. The pre-deployment Job runs `db:prepare` with SKIP_POST_DEPLOYMENT_MIGRATIONS=true, in the NEW
 *    image, against PostgreSQL directly. On a fresh database it creates and loads the schema; on an
 *    existing one it runs the pending pre-deployment migrations. It waits for PostgreSQL and Redis
 *    to be ready (the engine awaits their StatefulSets).
 * 2. Every Deployment depends on it: the engine rolls them out only after it completed, and awaits
 *    each rollout (every pod on the new ReplicaSet).
 * 3. The post-deployment Job (`db:migrate`) depends on every Deployment.
 *
 * A Job's name carries a hash of its image and command, so a version change creates new Jobs and
 * runs both steps again; nothing else of the data tier changes. A failed Job fails `pulumi up`
 * before anything later in the chain changes; the Jobs carry `pulumi.com/replaceUnready`, so the
 * next `pulumi up` replaces a failed Job and retries.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildContext, childOpts } from "./context";
import { postgresqlDirectHost } from "./database";
import { componentLabels } from "./names";
import { processEnv } from "./workloads/env";
import { MastodonRuntime, mastodonPodTemplate } from "./workloads/pod";
import { sidekiqDeployments } from "./workloads/sidekiq";
import { streamingDeployment } from "./workloads/streaming";
import { webDeployment } from "./workloads/web";

export type MigrationStep = "pre" | "post";

export const MIGRATION_COMMANDS: Record<MigrationStep, string[]> = {
  pre: ["bundle", "exec", "rails", "db:prepare"],
  post: ["bundle", "exec", "rails", "db:migrate"],
};

/** `${name}-db-migrate-pre-1a2b3c4d`: new for every image, so a version change runs it again. */
export function migrationJobName(name: string, step: MigrationStep, image: string): string {
  const hash = crypto.createHash("sha256").update(`${image}\n${MIGRATION_COMMANDS[step].join(" ")}`).digest("hex").slice(0, 8);
  return `${name}-db-migrate-${step}-${hash}`;
}

export function migrationJob(ctx: BuildContext, rt: MastodonRuntime, step: MigrationStep, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const env: Record<string, string> = { DB_POOL: "2" };
  if (step === "pre") env.SKIP_POST_DEPLOYMENT_MIGRATIONS = "true";
  return new k8s.batch.v1.Job(`${name}-db-migrate-${step}`, {
    metadata: {
      name: migrationJobName(name, step, rt.image),
      namespace,
      labels: componentLabels(name, "db-migrate", config.version.tag),
      // A failed Job is replaced (so retried) by the next `pulumi up`.
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec: {
      backoffLimit: 2,
      // Long enough for a large migration on a small server; the engine's wait is set to match.
      activeDeadlineSeconds: 3600,
      template: mastodonPodTemplate(ctx, rt, {
        component: "db-migrate",
        version: config.version.tag,
        mountsMedia: false,
        restartPolicy: "Never",
        resources: config.migrationResources,
        container: {
          name: `db-migrate-${step}`,
          command: MIGRATION_COMMANDS[step],
          // Migrations bypass any transaction pooler.
          env: [...processEnv(env), { name: "DB_HOST", value: postgresqlDirectHost(config) }],
        },
      }),
    },
  }, childOpts(ctx, { dependsOn, customTimeouts: { create: "60m", update: "60m" } }));
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
