/**
 * Mastodon versions: one release tag decides every image and every version rule.
 * Rules come from Mastodon's release notes (see ../shared/MASTODON.md).
 */

/** The release deployed when `version` is not given. */
export const DEFAULT_VERSION = "v4.6.6";

/**
 * The newest release this component knows (../shared/MASTODON.md: 4.7.2, August 2026). A newer one is deployed
 * with a warning: its images, queues and data-server floors are assumed to follow the rules below.
 */
export const NEWEST_KNOWN_VERSION = "v4.7.2";

/** The oldest release this component can deploy and upgrade. */
export const MINIMUM_VERSION = "v4.2.0";

export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/mastodon/mastodon";
export const DEFAULT_STREAMING_IMAGE_REPOSITORY = "ghcr.io/mastodon/mastodon-streaming";

/** Release tags: v4.6.6, v4.5.0-beta.1, v4.3.0-rc.1 ... */
export const VERSION_PATTERN = /^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

export interface MastodonVersion {
  tag: string;
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(tag: string): MastodonVersion | undefined {
  const m = VERSION_PATTERN.exec(tag);
  if (!m) return undefined;
  return { tag, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** True when `v` is at or after major.minor (pre-releases of a minor count as that minor). */
export function atLeast(v: MastodonVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Orders versions by major, minor, patch (pre-releases of a patch level count as that patch level). */
export function compareVersions(a: MastodonVersion, b: MastodonVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** A supported version: 4.x from MINIMUM_VERSION on (5.x may break the rules below). */
export function isSupported(v: MastodonVersion): boolean {
  return v.major === 4 && atLeast(v, 4, 2);
}

/** Sidekiq queues Mastodon enqueues into; every one must be served by some worker. */
export function sidekiqQueues(v: MastodonVersion): string[] {
  const queues = ["default", "push", "ingress", "mailers", "pull", "scheduler"];
  // 4.4 added the Fediverse Auxiliary Service Provider queue.
  if (atLeast(v, 4, 4)) queues.push("fasp");
  return queues;
}

/**
 * The default worker's queues, weighted as Mastodon's own chart weights its all-queues worker: sidekiq reads a
 * list without weights as strict priority (a backlog in `default` starves the rest, the scheduler included); with
 * weights it picks a queue at random in proportion, and the unweighted ones count 1.
 */
export function weightedSidekiqQueues(v: MastodonVersion): string[] {
  const weights: Record<string, number> = { default: 8, push: 6, ingress: 4, mailers: 2 };
  return sidekiqQueues(v).map((q) => (weights[q] ? `${q},${weights[q]}` : q));
}

/** From 4.3 the streaming server ships in its own image; the main image can no longer run it. */
export function hasStreamingImage(v: MastodonVersion): boolean {
  return atLeast(v, 4, 3);
}


export interface MastodonImages {
  /** Runs web (puma), sidekiq and the rake/tootctl Jobs. */
  mastodon: string;
  /** Runs the streaming server. */
  streaming: string;
  /** The command that starts the streaming server in `streaming`. */
  streamingCommand: string[];
}

export function mastodonImages(v: MastodonVersion, repository: string, streamingRepository: string): MastodonImages {
  const mastodon = `${repository}:${v.tag}`;
  if (hasStreamingImage(v)) {
    return { mastodon, streaming: `${streamingRepository}:${v.tag}`, streamingCommand: ["node", "./streaming/index.js"] };
  }
  return { mastodon, streaming: mastodon, streamingCommand: ["node", "./streaming"] };
}

/**
 * What Mastodon says about going from `from` to `to`: one minor series at a time (patch levels may be skipped),
 * never back (its migrations only go forward). Empty when the change is one Mastodon supports. The component
 * refuses such a change unless acknowledged; `npm run upgrade-plan` prints the same sentences.
 */
export function upgradeWarnings(from: string, to: string): string[] {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b) return [];
  const warnings: string[] = [];
  const minor = (v: { major: number; minor: number }) => v.major * 1000 + v.minor;
  if (minor(b) < minor(a) || (minor(b) === minor(a) && b.patch < a.patch)) {
    warnings.push(`${to} is older than ${from}: Mastodon does not support downgrades (its migrations only go forward).`);
  } else if (a.major === b.major && b.minor > a.minor + 1) {
    const skipped = Array.from({ length: b.minor - a.minor - 1 }, (_, i) => `${a.major}.${a.minor + i + 1}`);
    warnings.push(`${from} → ${to} skips ${skipped.join(", ")}: Mastodon wants a release of every minor series deployed in turn (${[`${a.major}.${a.minor}`, ...skipped, `${b.major}.${b.minor}`].join(" → ")}).`);
  }
  return warnings;
}
