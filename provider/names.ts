/** Label sets and object names shared by every module, so that selectors always agree. */

export const PART_OF = "mastodon";
/** Prefix of this project's own label keys. */
export const LABEL_PREFIX = "mastodon.pulumi.com";
export const SIDEKIQ_WORKER_LABEL = `${LABEL_PREFIX}/sidekiq-worker`;
/** Carried by every pod that mounts the media volume, for the co-location affinity. */
export const MEDIA_VOLUME_LABEL = `${LABEL_PREFIX}/media-volume`;

/** The parts of an instance, in Kubernetes' `app.kubernetes.io/component` label. */
export type Component = "web" | "streaming" | "sidekiq" | "db-migrate" | "postgresql" | "redis" | "redis-cache"
  | "backup" | "maintenance" | "admin" | "search" | "search-deploy" | "pgbouncer";

/**
 * How late a scheduled CronJob run may still start (a controller down, a node drained): the run still happens within
 * the hour. The alerts (metrics.ts) count a run as overdue after it.
 */
export const STARTING_DEADLINE_SECONDS = 3600;

/** The components that run Mastodon code (and so need the database, Redis and the secrets). */
export const MASTODON_COMPONENTS: Component[] = ["web", "streaming", "sidekiq", "db-migrate", "maintenance", "admin", "search-deploy"];

/** The components that talk to the search server: the processes that search and index, and the index Job. */
export const SEARCH_CLIENTS: Component[] = ["web", "sidekiq", "search-deploy"];

/** Labels that identify an instance's pods of one component: stable, used in selectors. */
export function selectorLabels(instance: string, component: Component): Record<string, string> {
  return {
    "app.kubernetes.io/name": PART_OF,
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  };
}

/** Labels for every object of an instance. */
export function instanceLabels(instance: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": PART_OF,
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Labels for an object of one component; `version` only on Mastodon's own workloads, never on data. */
export function componentLabels(instance: string, component: Component, version?: string): Record<string, string> {
  return {
    ...instanceLabels(instance),
    "app.kubernetes.io/component": component,
    ...(version ? { "app.kubernetes.io/version": version.replace(/^v/, "") } : {}),
  };
}
