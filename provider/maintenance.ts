/**
 * The periodic cleanups Mastodon's documentation recommends ("Running periodic cleanup tasks": `tootctl media
 * remove` and `tootctl preview_cards remove`, weekly), as CronJobs in the instance's image and environment.
 *
 * They delete files from the media volume (or the bucket), so they mount it as web and sidekiq do: a ReadWriteOnce
 * volume brings them onto its node through the same co-location affinity (names.ts MEDIA_VOLUME_LABEL). Their
 * pods are Mastodon components: the instance's NetworkPolicies let them reach PostgreSQL and Redis; with media in
 * object storage, a policy of their own lets them reach the cluster's ranges (the internet too with
 * allowPublicEgress), where the bucket is.
 *
 * Not scheduled: `tootctl statuses remove` (locks tables; the docs do not recommend it periodically), `tootctl
 * accounts prune` (deletes remote accounts), `tootctl media remove-orphans` (walks the whole storage).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { STARTING_DEADLINE_SECONDS, componentLabels, selectorLabels } from "./names";
import { PUBLIC_CIDRS } from "./network";
import { processEnv } from "./workloads/env";
import { MastodonRuntime, mastodonPodTemplate } from "./workloads/mastodonPod";

/** tootctl's worker threads; a weekly cleanup needs no more, and leaves the connection budget alone. */
export const MAINTENANCE_CONCURRENCY = 2;
/** A cleanup of a large instance's media can take hours. */
export const MAINTENANCE_DEADLINE_SECONDS = 6 * 3600;

export type MaintenanceTaskId = "media-remove" | "preview-cards";

/** The command of each task, with its age in days. */
export function maintenanceCommand(task: MaintenanceTaskId, days: number): string[] {
  const concurrency = `--concurrency=${MAINTENANCE_CONCURRENCY}`;
  return task === "media-remove"
    ? ["tootctl", "media", "remove", `--days=${days}`, concurrency]
    : ["tootctl", "preview_cards", "remove", `--days=${days}`, concurrency];
}

/** A maintenance CronJob's name (the alerts of metrics.ts select it by this name too). */
export function maintenanceCronJobName(instance: string, task: MaintenanceTaskId): string {
  return `${instance}-${task}`;
}

/** The tasks the config turns on, with their schedules and commands. */
export function maintenanceTasks(config: MastodonConfig): { id: MaintenanceTaskId; schedule: string; command: string[] }[] {
  const m = config.maintenance;
  return [
    { id: "media-remove" as const, task: m.mediaRemove },
    { id: "preview-cards" as const, task: m.previewCardsRemove },
  ].filter(({ task }) => task.enabled).map(({ id, task }) => ({ id, schedule: task.schedule, command: maintenanceCommand(id, task.days) }));
}

/**
 * The maintenance CronJobs, created once `dependsOn` (the post-deployment migration) completed: a version change
 * gives them the new image only after the schema is migrated.
 */
export function maintenanceCronJobs(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]): k8s.batch.v1.CronJob[] {
  const { name, namespace, config } = ctx;
  const tasks = maintenanceTasks(config);
  if (tasks.length === 0) return [];
  const policy = maintenanceEgressSpec(config);
  const policies = policy
    ? [new k8s.networking.v1.NetworkPolicy(`${name}-maintenance`, {
      metadata: { name: `${name}-maintenance`, namespace, labels: componentLabels(name, "maintenance") },
      spec: policy,
    }, childOpts(ctx))]
    : [];
  return tasks.map(({ id, schedule, command }) => {
    const fullName = maintenanceCronJobName(name, id);
    const labels = componentLabels(name, "maintenance", config.version.tag);
    return new k8s.batch.v1.CronJob(fullName, {
      metadata: { name: fullName, namespace, labels },
      spec: {
        schedule,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: MAINTENANCE_DEADLINE_SECONDS,
            template: mastodonPodTemplate(ctx, rt, {
              component: "maintenance",
              version: config.version.tag,
              mountsMedia: true,
              restartPolicy: "Never",
              resources: config.maintenance.resources,
              container: { name: id, command, env: processEnv({ DB_POOL: MAINTENANCE_CONCURRENCY + 1 }) },
            }),
          },
        },
      },
    }, childOpts(ctx, { dependsOn: [...dependsOn, ...policies] }));
  });
}

/** With media in object storage: egress to the cluster's ranges (and the internet with allowPublicEgress). */
export function maintenanceEgressSpec(config: MastodonConfig): k8s.types.input.networking.v1.NetworkPolicySpec | undefined {
  if (!config.media.s3) return undefined;
  const ranges = config.allowPublicEgress ? [...config.clusterCidrs, ...PUBLIC_CIDRS] : config.clusterCidrs;
  return {
    podSelector: { matchLabels: selectorLabels(config.name, "maintenance") },
    policyTypes: ["Egress"],
    // Every pod of every namespace too: whether an ipBlock matches pod addresses is left to each network plugin.
    egress: [{ to: [{ namespaceSelector: {} }, ...ranges.map((c) => ({ ipBlock: { cidr: networkCidr(c) } }))] }],
  };
}

/** 10.42.1.0/16 → 10.42.0.0/16, as Kubernetes expects. */
function networkCidr(cidr: string): string {
  const [addr, bits] = ipaddr.parseCIDR(cidr);
  const network = addr.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  return `${network.toString()}/${bits}`;
}

