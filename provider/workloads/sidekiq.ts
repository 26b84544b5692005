/** Sidekiq: one Deployment per worker group, each serving its queues. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { SidekiqWorkerConfig } from "../args";
import { BuildContext, childOpts } from "../context";
import { SIDEKIQ_WORKER_LABEL, componentLabels, selectorLabels } from "../names";
import { execProbe } from "../containers";
import { atLeast } from "../versions";
import { processEnv } from "./env";
import { MastodonRuntime, disruptionBudget, mastodonPodTemplate } from "./mastodonPod";

/** Written by sidekiq once it processes jobs (Mastodon 4.3 on). */
export const SIDEKIQ_READY_FILE = "/opt/mastodon/tmp/sidekiq_process_has_started_and_will_begin_processing_jobs";

/** `bundle exec sidekiq -c N -q default,8 -q push ...` */
export function sidekiqCommand(worker: SidekiqWorkerConfig): string[] {
  return ["bundle", "exec", "sidekiq", "-c", String(worker.concurrency), ...worker.queues.flatMap((q) => ["-q", q])];
}

export function sidekiqDeployments(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  return config.sidekiqWorkers.map((worker) => {
    const fullName = `${name}-sidekiq-${worker.name}`;
    const selector = { ...selectorLabels(name, "sidekiq"), [SIDEKIQ_WORKER_LABEL]: worker.name };
    const readiness = atLeast(config.version, 4, 3)
      ? { readinessProbe: execProbe(["cat", SIDEKIQ_READY_FILE], 2, 10, 10) }
      : {};
    const deployment = new k8s.apps.v1.Deployment(fullName, {
      metadata: { name: fullName, namespace, labels: { ...componentLabels(name, "sidekiq", config.version.tag), [SIDEKIQ_WORKER_LABEL]: worker.name } },
      spec: {
        replicas: worker.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        // Old and new job classes should not run side by side: stop the old pods first.
        strategy: { type: "Recreate" },
        template: mastodonPodTemplate(ctx, rt, {
          component: "sidekiq",
          labels: { [SIDEKIQ_WORKER_LABEL]: worker.name },
          version: config.version.tag,
          mountsMedia: true,
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
    disruptionBudget(ctx, `sidekiq-${worker.name}`, worker.replicas, selector, "sidekiq");
    return deployment;
  });
}
