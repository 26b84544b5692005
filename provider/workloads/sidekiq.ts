/** Sidekiq: one Deployment per worker group, each serving its queues, with its autoscaler (CPU or KEDA) when it has one. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SidekiqWorkerConfig } from "../args";
import { BuildContext, childOpts } from "../context";
import { SIDEKIQ_WORKER_LABEL, componentLabels, selectorLabels } from "../names";
import { execProbe } from "../containers";
import { metricsUrl } from "../metrics";
import { atLeast } from "../versions";
import { processEnv } from "./env";
import { MastodonRuntime, mastodonPodTemplate } from "./mastodonPod";
import { cpuAutoscaler, deploymentReplicas, disruptionBudget, isReplicated, kedaReads, kedaRedisAuthentication, kedaScaledObject } from "./scaling";

/** Written by sidekiq once it processes jobs (Mastodon 4.3 on). */
export const SIDEKIQ_READY_FILE = "/opt/mastodon/tmp/sidekiq_process_has_started_and_will_begin_processing_jobs";

/** `bundle exec sidekiq -c N -q default,8 -q push ...` */
export function sidekiqCommand(worker: SidekiqWorkerConfig): string[] {
  return ["bundle", "exec", "sidekiq", "-c", String(worker.concurrency), ...worker.queues.flatMap((q) => ["-q", q])];
}

export function sidekiqDeployments(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  // KEDA reads the Redis password, when there is one, from the env Secret (REDIS_PASSWORD).
  const kedaAuth = kedaReads(config).backlog && (config.redis.embedded || config.redis.external?.password !== undefined)
    ? kedaRedisAuthentication(ctx, rt.secretName)
    : undefined;
  return config.sidekiqWorkers.map((worker) => {
    const fullName = `${name}-sidekiq-${worker.name}`;
    const selector = { ...selectorLabels(name, "sidekiq"), [SIDEKIQ_WORKER_LABEL]: worker.name };
    const readiness = atLeast(config.version, 4, 3)
      ? { readinessProbe: execProbe(["cat", SIDEKIQ_READY_FILE], 2, 10, 10) }
      : {};
    const deployment = new k8s.apps.v1.Deployment(fullName, {
      metadata: { name: fullName, namespace, labels: { ...componentLabels(name, "sidekiq", config.version.tag), [SIDEKIQ_WORKER_LABEL]: worker.name } },
      spec: {
        replicas: deploymentReplicas(worker),
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        // Old and new job classes should not run side by side: stop the old pods first.
        strategy: { type: "Recreate" },
        template: mastodonPodTemplate(ctx, rt, {
          component: "sidekiq",
          labels: { [SIDEKIQ_WORKER_LABEL]: worker.name },
          version: config.version.tag,
          mountsMedia: true,
          spreadBy: isReplicated(worker) ? selector : undefined,
          resources: worker.resources,
          container: {
            name: "sidekiq",
            command: sidekiqCommand(worker),
            env: processEnv({ DB_POOL: worker.dbPool, MAX_THREADS: worker.concurrency }),
            ...readiness,
          },
        }),
      },
    }, childOpts(ctx, { dependsOn }));
    disruptionBudget(ctx, `sidekiq-${worker.name}`, worker, selector, "sidekiq");
    const scaler = worker.autoscaling?.scaler;
    if (scaler === "cpu") cpuAutoscaler(ctx, `sidekiq-${worker.name}`, deployment, worker.autoscaling!, "sidekiq");
    // KEDA makes the HorizontalPodAutoscaler itself: never a second one for the same Deployment.
    if (scaler === "keda") kedaScaledObject(ctx, worker, deployment, kedaAuth, metricsUrl(name, namespace, "sidekiq"));
    return deployment;
  });
}
