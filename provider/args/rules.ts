/**
 * The rules that involve several fields of MastodonClusterArgs (versions and queues, the data tier,
 * isolation, the connection budget, the operations fields), and the warnings: accepted args the user
 * should hear about. Each rule names the field, the value and what is expected.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import {
  DEFAULT_VERSION, MINIMUM_VERSION, MastodonVersion, NEWEST_KNOWN_VERSION, atLeast, compareVersions, isSupported, parseVersion,
  sidekiqQueues, weightedSidekiqQueues,
} from "../versions";
import type { ParsedArgs } from "./clusterSchema";
import { memoryBytes } from "../containers";
import { formatValue } from "../validation";
import {
  CLOUDNATIVEPG_CONNECTIONS, CLOUDNATIVEPG_IMAGE, DEFAULT_RESOURCES, MIGRATION_CONNECTIONS, OPENSEARCH_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE,
  RESERVED_CONNECTIONS, defaultWorkers,
} from "./defaults";
import { withProfile } from "./fields";

export function issue(ctx: z.RefinementCtx, path: PropertyKey[], input: unknown, message: string) {
  ctx.addIssue({ code: "custom", path: path as (string | number)[], input, message });
}

function queueName(entry: string): string {
  return entry.split(",")[0];
}

/** In-cluster: a Service name ("mailpit.mail", "x.svc.cluster.local", "mailpit") or an address in the CIDRs. */
export function isInCluster(host: string, cidrs: string[]): boolean {
  if (ipaddr.isValid(host)) {
    const addr = ipaddr.parse(host);
    return cidrs.some((c) => {
      const [net, bits] = ipaddr.parseCIDR(c);
      return addr.kind() === net.kind() && addr.match([net, bits]);
    });
  }
  const labels = host.split(".");
  return labels.length <= 2 || host.endsWith(".svc") || /\.svc\.cluster\.local\.?$/.test(host);
}

export const ISOLATED_DATA_HOST = "an in-cluster Service or an address in clusterCidrs while egress is limited to the cluster " +
  "(add the server's range to clusterCidrs, or set allowPublicEgress)";

/** The hosts of external PostgreSQL, Redis (or its sentinels) and search servers, with their paths in args. */
export function externalDataHosts(a: ParsedArgs): Array<[(string | number)[], pulumi.Input<string> | undefined]> {
  return [
    [["postgresql", "external", "host"], a.postgresql.external?.host],
    [["postgresql", "external", "directHost"], a.postgresql.external?.directHost],
    [["redis", "external", "host"], a.redis.external?.host],
    ...(a.redis.external?.sentinels ?? []).map((s, i): [(string | number)[], string] => [["redis", "external", "sentinels", i], sentinelHost(s)]),
    [["search", "external", "host"], a.search.external?.host],
  ];
}

/** The host of a sentinel address ("host" or "host:port"). */
export function sentinelHost(address: string): string {
  return address.split(":")[0];
}


/** The tag of an image reference (registry/repository:tag[@digest]), unless absent or `latest`. */
export function imageTag(image: string): string | undefined {
  const name = image.split("@")[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  return tag === "latest" ? undefined : tag;
}

/**
 * The oldest PostgreSQL and Redis a Mastodon version supports: 4.2 needs PostgreSQL 12 (mastodon#27528); 4.4
 * PostgreSQL 13 and Redis 6.2 (its release notes, mastodon#34744, #30413); PostgreSQL 14 (mastodon#36540, merged
 * after 4.5's betas) and Redis 7 (Sidekiq 8) are taken as 4.6's floor, as the README states.
 */
export function dataServerMinimum(server: "postgresql" | "redis", v: MastodonVersion): { major: number; minor: number } {
  if (server === "postgresql") return atLeast(v, 4, 6) ? { major: 14, minor: 0 } : atLeast(v, 4, 4) ? { major: 13, minor: 0 } : { major: 12, minor: 0 };
  return atLeast(v, 4, 6) ? { major: 7, minor: 0 } : atLeast(v, 4, 4) ? { major: 6, minor: 2 } : { major: 6, minor: 0 };
}

export function crossFieldRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  const version = parseVersion(a.version);
  if (!version || !isSupported(version)) {
    issue(ctx, ["version"], a.version, `a Mastodon 4.x release tag such as ${DEFAULT_VERSION} (from ${MINIMUM_VERSION} on)`);
    return;
  }
  const queues = sidekiqQueues(version);
  const workers = a.sidekiqWorkers ?? [];

  // Queues: known to this version, once per worker, every one served, scheduler exactly once.
  const names = new Set<string>();
  workers.forEach((w, i) => {
    if (names.has(w.name)) issue(ctx, ["sidekiqWorkers", i, "name"], w.name, "a name no other worker group has");
    names.add(w.name);
    const seen = new Set<string>();
    w.queues.forEach((entry, j) => {
      const q = queueName(entry);
      if (!queues.includes(q)) {
        issue(ctx, ["sidekiqWorkers", i, "queues", j], entry, `one of ${queues.join(", ")} (the queues of Mastodon ${version.tag}), optionally weighted as "default,8"`);
      } else if (seen.has(q)) {
        issue(ctx, ["sidekiqWorkers", i, "queues", j], entry, "each queue listed once per worker group");
      }
      seen.add(q);
    });
    if (w.dbPool !== undefined && w.dbPool < w.concurrency) {
      issue(ctx, ["sidekiqWorkers", i, "dbPool"], w.dbPool, `at least the worker's concurrency (${w.concurrency}), one connection per thread`);
    }
  });
  if (workers.length > 0) {
    const served = new Set(workers.flatMap((w) => w.queues.map(queueName)));
    const missing = queues.filter((q) => !served.has(q));
    if (missing.length > 0) {
      issue(ctx, ["sidekiqWorkers"], [...served], `every queue served by some worker group; not served: ${missing.join(", ")}`);
    }
    const schedulers = workers.map((w, i) => ({ w, i })).filter(({ w }) => w.queues.some((e) => queueName(e) === "scheduler"));
    if (schedulers.length > 1) {
      issue(ctx, ["sidekiqWorkers"], schedulers.map(({ w }) => w.name), "the scheduler queue served by exactly one worker group (scheduled jobs would run twice)");
    }
    for (const { w, i } of schedulers) {
      if ((w.replicas ?? 1) !== 1) issue(ctx, ["sidekiqWorkers", i, "replicas"], w.replicas, "1: the group serving the scheduler queue runs exactly one pod");
    }
  }
  if (a.web.dbPool !== undefined && a.web.dbPool < a.web.threads) {
    issue(ctx, ["web", "dbPool"], a.web.dbPool, `at least web.threads (${a.web.threads}), one connection per thread`);
  }

  // Data tier: external and embedded settings do not mix.
  const embeddedOnly = (section: "postgresql" | "redis", keys: string[]) => {
    if (!a[section].external) return;
    for (const k of keys) {
      const value = (a[section] as Record<string, unknown>)[k];
      if (value !== undefined) issue(ctx, [section, k], value, `nothing: ${section}.${k} configures the embedded server, and ${section}.external is set`);
    }
  };
  embeddedOnly("postgresql", ["image", "storageSize", "storageClassName"]);
  const cnpg = a.postgresql.cloudNativePG;
  if (cnpg && a.postgresql.external) {
    issue(ctx, ["postgresql", "cloudNativePG"], "{...}", "nothing while postgresql.external is set: PostgreSQL is either external or run by CloudNativePG");
  }
  if (a.secrets.postgresqlSuperuserPassword !== undefined && !cnpg) {
    issue(ctx, ["secrets", "postgresqlSuperuserPassword"], "[secret]",
      "nothing unless postgresql.cloudNativePG is set: it is the password of CloudNativePG's superuser `postgres`, whose Secret only that mode has");
  }
  embeddedOnly("redis", ["image", "persistence", "storageSize", "storageClassName", "sentinel"]);
  redisSentinelRules(a, version, ctx);
  // Embedded servers from another image: pinned, and recent enough for this Mastodon version.
  const servers = [
    { section: "postgresql", name: "PostgreSQL", image: a.postgresql.image, minimum: dataServerMinimum("postgresql", version), example: cnpg ? CLOUDNATIVEPG_IMAGE : POSTGRES_IMAGE },
    { section: "redis", name: "Redis", image: a.redis.image, minimum: dataServerMinimum("redis", version), example: REDIS_IMAGE },
  ] as const;
  for (const { section, name, image, minimum, example } of servers) {
    if (image === undefined) continue;
    const tag = imageTag(image);
    // A tag that names no version (latest, bookworm, alpine) moves to new majors, which an old data directory refuses.
    if (!image.includes("@sha256:") && !(tag !== undefined && /^\d/.test(tag))) {
      issue(ctx, [section, "image"], image, `an image pinned by a version tag or a digest, such as ${example}`);
      continue;
    }
    const v = tag === undefined ? undefined : /^(\d+)(?:\.(\d+))?/.exec(tag);
    if (v && Number(v[1]) * 100 + Number(v[2] ?? 99) < minimum.major * 100 + minimum.minor) {
      issue(ctx, [section, "image"], image, `${name} ${minimum.major}${minimum.minor ? `.${minimum.minor}` : ""} or later (Mastodon ${a.version} requires it)`);
    }
  }
  if (a.media.s3) {
    for (const k of ["storageSize", "storageClassName", "accessMode"] as const) {
      if (a.media[k] !== undefined) issue(ctx, ["media", k], a.media[k], "nothing: it configures the media volume, and media.s3 is set");
    }
  }
  if ((a.acknowledge.postgresqlMajorFrom === undefined) !== (a.acknowledge.postgresqlUpgradeMethod === undefined)) {
    const given = a.acknowledge.postgresqlMajorFrom === undefined ? "postgresqlUpgradeMethod" : "postgresqlMajorFrom";
    issue(ctx, ["acknowledge", given], a.acknowledge[given], "acknowledge.postgresqlMajorFrom and acknowledge.postgresqlUpgradeMethod given together, or neither");
  }
  if (a.redis.cache.enabled) {
    for (const key of Object.keys(a.extraEnv).filter((k) => k.startsWith("CACHE_REDIS_"))) {
      issue(ctx, ["extraEnv", key], a.extraEnv[key], "nothing while redis.cache.enabled is true: the component points CACHE_REDIS_* at the cache Redis it runs");
    }
  }
  if ((a.secrets.vapidPrivateKey === undefined) !== (a.secrets.vapidPublicKey === undefined)) {
    const given = a.secrets.vapidPrivateKey === undefined ? "vapidPublicKey" : "vapidPrivateKey";
    issue(ctx, ["secrets", given], "[secret]", "vapidPrivateKey and vapidPublicKey given together (one key pair), or neither");
  }

  // TLS: one source of certificates.
  const sources = (["issuerName", "secretName", "acmeEmail"] as const).filter((k) => a.tls[k] !== undefined);
  if (sources.length > 1) {
    issue(ctx, ["tls", sources[1]], a.tls[sources[1]], `only one of tls.issuerName, tls.secretName and tls.acmeEmail (tls.${sources[0]} is set)`);
  }
  if (a.tls.issuerKind !== undefined && a.tls.issuerName === undefined) {
    issue(ctx, ["tls", "issuerKind"], a.tls.issuerKind, "nothing unless tls.issuerName is set");
  }
  if (a.tls.installCertManager === true && a.tls.secretName !== undefined) {
    issue(ctx, ["tls", "installCertManager"], true, "false or nothing: with tls.secretName no certificate is issued");
  }
  if (a.tls.acmeServer !== undefined && a.tls.acmeEmail === undefined) {
    issue(ctx, ["tls", "acmeServer"], a.tls.acmeServer, "nothing unless tls.acmeEmail is set");
  }

  // Egress gateway: one gateway, and not beside direct egress.
  const gateway = a.egressGateway;
  if (gateway) {
    if (gateway.enabled && gateway.proxyUrl !== undefined) {
      issue(ctx, ["egressGateway", "proxyUrl"], gateway.proxyUrl, "nothing while egressGateway.enabled is true (the instance runs its own gateway), or enabled false to use this one");
    }
    if (!gateway.enabled && gateway.proxyUrl === undefined) {
      issue(ctx, ["egressGateway", "enabled"], gateway.enabled, "true (run a gateway for this instance), or egressGateway.proxyUrl and egressGateway.namespace (use a MastodonPlatform's)");
    }
    if (gateway.proxyUrl !== undefined && gateway.namespace === undefined) {
      issue(ctx, ["egressGateway", "namespace"], gateway.namespace, "the namespace of the gateway's pods with egressGateway.proxyUrl (a MastodonPlatform's egressGatewayNamespace)");
    }
    if (a.allowPublicEgress) {
      issue(ctx, ["allowPublicEgress"], true, "false with egressGateway: the gateway is the audited way out; direct egress (allowPublicEgress) bypasses it and fails the policy pack");
    }
  }

  // Isolation: with egress limited to the cluster, outside services cannot be reached.
  if (!a.allowPublicEgress) {
    if (a.smtp && !isInCluster(a.smtp.server, a.clusterCidrs)) {
      issue(ctx, ["smtp", "server"], a.smtp.server, "an in-cluster Service or an address in clusterCidrs while egress is limited to the cluster (set allowPublicEgress to reach outside mail servers)");
    }
    const backup = cnpg?.backup;
    if (backup && !(backup.endpointUrl !== undefined && isInCluster(new URL(backup.endpointUrl).hostname, a.clusterCidrs))) {
      issue(ctx, ["postgresql", "cloudNativePG", "backup", "endpointUrl"], backup.endpointUrl,
        "an in-cluster endpoint while egress is limited to the cluster (set allowPublicEgress to reach outside object storage)");
    }
    if (a.media.s3 && !isInCluster(new URL(a.media.s3.endpoint).hostname, a.clusterCidrs)) {
      issue(ctx, ["media", "s3", "endpoint"], a.media.s3.endpoint, "an in-cluster endpoint while egress is limited to the cluster (set allowPublicEgress to reach outside object storage)");
    }
    // External data servers given as Outputs are checked when they resolve (see `resolve`).
    for (const [path, host] of externalDataHosts(a)) {
      if (typeof host === "string" && !isInCluster(host, a.clusterCidrs)) issue(ctx, path, host, ISOLATED_DATA_HOST);
    }
    if (a.tls.acmeEmail !== undefined) {
      issue(ctx, ["tls", "acmeEmail"], a.tls.acmeEmail, "nothing while egress is limited to the cluster: ACME certificates are for public instances (set allowPublicEgress)");
    }
  }

  // The connection budget: every process's pool must fit in max_connections, or behind PgBouncer, its pools.
  const budget = connectionBudget({ ...a, searchDeploy: a.search.enabled ? searchDeployConnections(a.search.deploy?.concurrency) : undefined }, workers.length > 0 ? workers : defaultWorkers(version));
  const available = a.postgresql.maxConnections - RESERVED_CONNECTIONS - (cnpg ? CLOUDNATIVEPG_CONNECTIONS : 0);
  if (cnpg?.pooler.enabled) {
    if (poolerSizing(a.postgresql.maxConnections, cnpg.pooler.instances, budget.total).defaultPoolSize < 1) {
      issue(ctx, ["postgresql", "maxConnections"], a.postgresql.maxConnections,
        `room for every PgBouncer pod's pool: ${RESERVED_CONNECTIONS} reserved + ${MIGRATION_CONNECTIONS} for a migration Job + ${CLOUDNATIVEPG_CONNECTIONS} ` +
        `for CloudNativePG + at least 2 per PgBouncer pod (${cnpg.pooler.instances}: its auth query and its pool); raise postgresql.maxConnections or lower postgresql.cloudNativePG.pooler.instances`);
    }
  } else if (budget.total > available) {
    issue(ctx, ["postgresql", "maxConnections"], a.postgresql.maxConnections,
      `room for every database connection: ${budget.describe} = ${budget.total}, plus ${a.postgresql.maxConnections - available} reserved` +
      `${cnpg ? ` (${CLOUDNATIVEPG_CONNECTIONS} of them for CloudNativePG)` : ""}; raise postgresql.maxConnections to at least ` +
      `${budget.total + a.postgresql.maxConnections - available} or shrink the pools`);
  }
}

/** The most pods a process may run: its autoscaler's bound, else its fixed count. */
export function maxReplicas(p: { replicas?: number; autoscaling?: { maxReplicas: number } }): number {
  return p.autoscaling?.maxReplicas ?? p.replicas ?? 1;
}

/**
 * Scaling: fixed counts or autoscaler bounds, not both; sane bounds; the scheduler's group never scales; and web and
 * sidekiq autoscale only when their pods may run on several nodes (media in object storage or on a ReadWriteMany
 * volume: a ReadWriteOnce volume keeps every pod that mounts it on the volume's one node, see mastodonPod.ts).
 */
export function scalingRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  const mediaOnOneNode = a.media.s3 === undefined && (a.media.accessMode ?? "ReadWriteOnce") === "ReadWriteOnce";
  const check = (path: (string | number)[], p: { replicas?: number; autoscaling?: { minReplicas: number; maxReplicas: number } }, mountsMedia: boolean) => {
    if (!p.autoscaling) return;
    if (p.replicas !== undefined) {
      issue(ctx, [...path, "replicas"], p.replicas, `nothing while ${path.join(".").replace(/\.(\d+)/g, "[$1]")}.autoscaling is set: the autoscaler sets the pod count between minReplicas and maxReplicas`);
    }
    if (p.autoscaling.maxReplicas < p.autoscaling.minReplicas) {
      issue(ctx, [...path, "autoscaling", "maxReplicas"], p.autoscaling.maxReplicas, `at least minReplicas (${p.autoscaling.minReplicas})`);
    }
    if (mountsMedia && mediaOnOneNode && p.autoscaling.maxReplicas > 1) {
      issue(ctx, [...path, "autoscaling"], p.autoscaling,
        "nothing while media is a ReadWriteOnce volume, which keeps every web and sidekiq pod on its one node: set media.s3 (object storage) " +
        "or media.accessMode \"ReadWriteMany\" (with a storage class that supports it) so that they can run on several nodes");
    }
  };
  check(["web"], a.web, true);
  check(["streaming"], a.streaming, false);
  (a.sidekiqWorkers ?? []).forEach((w, i) => {
    const path = ["sidekiqWorkers", i];
    check(path, w, true);
    const scaling = w.autoscaling;
    if (!scaling) return;
    if (w.queues.some((e) => queueName(e) === "scheduler")) {
      issue(ctx, [...path, "autoscaling"], scaling, "nothing for the group serving the scheduler queue, which must run in exactly one process (scheduled jobs would run twice); move the other queues to a group of their own to scale them");
    }
    if (scaling.scaler === "cpu" && scaling.targetQueueLength !== undefined) {
      issue(ctx, [...path, "autoscaling", "targetQueueLength"], scaling.targetQueueLength, "nothing unless autoscaling.scaler is \"keda\" (the CPU autoscaler does not read the queues)");
    }
    if (scaling.targetQueueLatencySeconds !== undefined) {
      const at = [...path, "autoscaling", "targetQueueLatencySeconds"];
      const version = parseVersion(a.version);
      if (scaling.scaler !== "keda") issue(ctx, at, scaling.targetQueueLatencySeconds, 'nothing unless autoscaling.scaler is "keda" (the CPU autoscaler does not read the queues)');
      else if (scaling.targetQueueLength !== undefined) issue(ctx, at, scaling.targetQueueLatencySeconds, "nothing beside autoscaling.targetQueueLength: KEDA scales the group on the backlog or on the latency, one of them");
      else if (!a.metrics.enabled || !a.metrics.detailed) {
        issue(ctx, at, scaling.targetQueueLatencySeconds, "nothing unless metrics.enabled and metrics.detailed are true: the queues' latency comes from Mastodon's exporter (sidekiq_queue_latency_seconds), which only its detailed metrics include");
      } else if (version && !atLeast(version, 4, 4)) {
        issue(ctx, at, scaling.targetQueueLatencySeconds, `nothing with version ${a.version}: Mastodon's exporter exists from v4.4.0`);
      }
    }
    if (scaling.scaler === "keda" && scaling.targetQueueLatencySeconds === undefined && a.extraEnv.REDIS_NAMESPACE !== undefined) {
      issue(ctx, ["extraEnv", "REDIS_NAMESPACE"], a.extraEnv.REDIS_NAMESPACE, "nothing while a sidekiq group scales with KEDA, which reads the queues under their plain names (queue:<name>)");
    }
    if (scaling.scaler === "keda" && scaling.targetCPUUtilizationPercentage !== undefined) {
      issue(ctx, [...path, "autoscaling", "targetCPUUtilizationPercentage"], scaling.targetCPUUtilizationPercentage, "nothing unless autoscaling.scaler is \"cpu\" (KEDA scales this group on its queues' backlog)");
    }
  });
}

/** Redis Sentinel, embedded or external: from Mastodon 4.3, with what a set needs. */
function redisSentinelRules(a: ParsedArgs, version: MastodonVersion, ctx: z.RefinementCtx) {
  const external = a.redis.external;
  const embedded = a.redis.sentinel?.enabled === true && !external;
  // Mastodon reads REDIS_SENTINELS from 4.3 (mastodon#31744, streaming #31623); before, it would ignore them.
  const tooOld = !atLeast(version, 4, 3);
  if (embedded && tooOld) {
    issue(ctx, ["redis", "sentinel", "enabled"], true, `false or nothing with version ${a.version}: Mastodon connects through Redis Sentinel from v4.3.0 (set version to v4.3.0 or later)`);
  }
  if (embedded && a.redis.persistence === false) {
    issue(ctx, ["redis", "persistence"], false, "true or nothing with redis.sentinel.enabled: a master restarting without its data would empty its replicas");
  }
  if (!external) return;
  if (external.sentinels && tooOld) {
    issue(ctx, ["redis", "external", "sentinels"], external.sentinels, `nothing with version ${a.version}: Mastodon connects through Redis Sentinel from v4.3.0 (set version to v4.3.0 or later, or redis.external.host)`);
  }
  if (external.sentinels && external.host !== undefined) {
    issue(ctx, ["redis", "external", "host"], external.host, "nothing with redis.external.sentinels: the sentinels name the master");
  }
  if (!external.sentinels && external.host === undefined) {
    issue(ctx, ["redis", "external", "host"], undefined, "a host name or address, or redis.external.sentinels and redis.external.masterName for a Sentinel set");
  }
  if (external.sentinels && external.masterName === undefined) {
    issue(ctx, ["redis", "external", "masterName"], undefined, "the name the sentinels monitor the master under (REDIS_SENTINEL_MASTER), with redis.external.sentinels");
  }
  if (!external.sentinels && external.masterName !== undefined) {
    issue(ctx, ["redis", "external", "masterName"], external.masterName, "nothing unless redis.external.sentinels is set");
  }
}

/** The operations fields against the rest: backups need the embedded server, the exporter Mastodon 4.4. */
export function operationsRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  if (a.postgresql.external && a.backups.enabled === true) {
    issue(ctx, ["backups", "enabled"], true, "false or nothing while postgresql.external is set: back up an external server with its own tooling");
  } else if (a.postgresql.cloudNativePG && a.backups.enabled === true) {
    issue(ctx, ["backups", "enabled"], true, "false or nothing with postgresql.cloudNativePG: its backups are postgresql.cloudNativePG.backup (continuous, to object storage)");
  }
  if (a.secrets.adminPassword !== undefined && !a.admin) {
    issue(ctx, ["secrets", "adminPassword"], "[secret]", "nothing unless admin is set: it is the password of the account `admin` creates");
  }
  const s3 = a.backups.s3;
  if (s3) {
    if (a.backups.enabled === false || (a.backups.enabled === undefined && (a.postgresql.external || a.postgresql.cloudNativePG))) {
      issue(ctx, ["backups", "s3"], { bucket: s3.bucket, endpoint: s3.endpoint }, "nothing while backups are off: the bucket receives the backup CronJob's dumps");
    }
    if (!a.allowPublicEgress && !isInCluster(new URL(s3.endpoint).hostname.replace(/^\[|\]$/g, ""), a.clusterCidrs)) {
      issue(ctx, ["backups", "s3", "endpoint"], s3.endpoint, "an in-cluster endpoint while egress is limited to the cluster (set allowPublicEgress to reach outside object storage)");
    }
  }
  const version = parseVersion(a.version);
  if (a.metrics.enabled && version && !atLeast(version, 4, 4)) {
    issue(ctx, ["metrics", "enabled"], true, `false with version ${a.version}: Mastodon's Prometheus exporter exists from v4.4.0 (before it only the streaming server serves /metrics)`);
  }
  for (const key of ["detailed", "serviceMonitor"] as const) {
    if (a.metrics[key] && !a.metrics.enabled) issue(ctx, ["metrics", key], true, "false or nothing unless metrics.enabled is true");
  }
}

/**
 * Full-text search against the rest: nothing configures search unless it is on, embedded and external settings do
 * not mix, the embedded image is a pinned OpenSearch 2, its memory holds a heap of half its request.
 */
export function searchRules(a: ParsedArgs, ctx: z.RefinementCtx) {
  const s = a.search;
  const given = (["external", "image", "storageSize", "storageClassName", "resources", "deploy"] as const).filter((k) => s[k] !== undefined);
  if (!s.enabled) {
    for (const k of given) issue(ctx, ["search", k], k === "external" ? "{...}" : s[k], "nothing unless search.enabled is true");
    return;
  }
  if (s.external) {
    for (const k of given.filter((k) => k !== "external" && k !== "deploy")) {
      issue(ctx, ["search", k], s[k], `nothing: search.${k} configures the embedded server, and search.external is set`);
    }
    if ((s.external.user === undefined) !== (s.external.password === undefined)) {
      const k = s.external.user === undefined ? "password" : "user";
      issue(ctx, ["search", "external", k], k === "password" ? "[secret]" : s.external.user, "search.external.user and search.external.password given together, or neither");
    }
    return;
  }
  if (s.image !== undefined) {
    const tag = imageTag(s.image);
    if (!s.image.includes("@sha256:") && !(tag !== undefined && /^\d/.test(tag))) {
      issue(ctx, ["search", "image"], s.image, `an image pinned by a version tag or a digest, such as ${OPENSEARCH_IMAGE}`);
    } else if (tag !== undefined && /^\d/.test(tag) && !/^2(\.|$)/.test(tag)) {
      issue(ctx, ["search", "image"], s.image, `an OpenSearch 2.x image such as ${OPENSEARCH_IMAGE} (the series Mastodon's CI tests; 3.x reports a wire version Mastodon's admin check refuses)`);
    }
  }
  const profile = withProfile(s.resources, DEFAULT_RESOURCES.search);
  const bytes = (q: string) => {
    try {
      return memoryBytes(q);
    } catch {
      return undefined;
    }
  };
  const request = bytes(profile.requests.memory);
  const limit = bytes(profile.limits.memory);
  if (request === undefined || request < 512 * 1024 ** 2) {
    issue(ctx, ["search", "resources", "requests", "memory"], profile.requests.memory, "at least 512Mi: the JVM heap is half the memory request, and OpenSearch needs 256 MiB of it");
  } else if (limit === undefined || limit < request) {
    issue(ctx, ["search", "resources", "limits", "memory"], profile.limits.memory, `at least the memory request (${profile.requests.memory}): the heap is allocated in full at start`);
  }
}

/** The index Job's database connections: one per worker thread, and the main thread's. */
export function searchDeployConnections(concurrency = 5): number {
  return concurrency + 1;
}

/**
 * PgBouncer's pools behind transaction pooling. Server side, max_connections holds, besides the reserved slots, a
 * migration Job (direct), CloudNativePG's own and each PgBouncer pod's auth query connection, one pool per PgBouncer
 * pod: `default_pool_size` (and `max_db_connections`, so no pod exceeds it). Client side, one pod may receive every
 * client connection the budget counts (the Service does not balance connections evenly): `max_client_conn`.
 */
export function poolerSizing(maxConnections: number, instances: number, clientConnections: number) {
  const serverSide = maxConnections - RESERVED_CONNECTIONS - MIGRATION_CONNECTIONS - CLOUDNATIVEPG_CONNECTIONS - instances;
  return { defaultPoolSize: Math.floor(serverSide / instances), maxClientConn: Math.max(100, clientConnections) };
}

type Scaled = { replicas?: number; autoscaling?: { maxReplicas: number } };
interface BudgetInput {
  web: Scaled & { processes: number; threads: number; dbPool?: number };
  streaming: Scaled & { dbPool: number };
  /** The search index Job's connections, when search is on. */
  searchDeploy?: number;
}

/** Database connections of every process at full load (Mastodon's pools are per process), autoscaled ones at their maximum. */
export function connectionBudget(a: BudgetInput, workers: (Scaled & { name: string; concurrency: number; dbPool?: number })[]) {
  const web = maxReplicas(a.web) * a.web.processes * (a.web.dbPool ?? a.web.threads);
  const streaming = maxReplicas(a.streaming) * a.streaming.dbPool;
  const sidekiq = workers.map((w) => ({ name: w.name, n: maxReplicas(w) * (w.dbPool ?? w.concurrency) }));
  // On top of the steady processes, at most one of: a version change's surge pods (web and streaming roll out
  // one extra pod each; sidekiq is recreated) or a migration Job (the pre Job runs before the rollout, the post
  // Job after it).
  // The search index Job runs after the post-deployment migration, when no surge pod runs either.
  const surge = a.web.processes * (a.web.dbPool ?? a.web.threads) + a.streaming.dbPool;
  const transient = Math.max(surge, MIGRATION_CONNECTIONS, a.searchDeploy ?? 0);
  const total = web + streaming + sidekiq.reduce((s, w) => s + w.n, 0) + transient;
  const describe = [`web ${web}`, `streaming ${streaming}`, ...sidekiq.map((w) => `sidekiq ${w.name} ${w.n}`),
    `${a.searchDeploy === undefined ? "rollout surge or migration" : "rollout surge, migration or search index Job"} ${transient}`].join(" + ");
  return { web, streaming, sidekiq, total, describe };
}

/** What is risky but allowed in `a`, one sentence per problem, each naming the field and the value. */
export function argsWarnings(a: Pick<ParsedArgs, "version" | "sidekiqWorkers" | "allowPublicEgress" | "egressGateway" | "ingress" | "tls">): string[] {
  const warnings: string[] = [];
  const version = parseVersion(a.version)!;
  const newest = parseVersion(NEWEST_KNOWN_VERSION)!;
  if (compareVersions(version, newest) > 0) {
    warnings.push(`args.version: ${JSON.stringify(a.version)} is newer than the newest release this component knows (${NEWEST_KNOWN_VERSION}); ` +
      "its images, sidekiq queues and PostgreSQL and Redis requirements are assumed to be those of the 4.x rules: check its release notes");
  }
  (a.sidekiqWorkers ?? []).forEach((w, i) => {
    const names = w.queues.map(queueName);
    const weighted = w.queues.some((e) => e.includes(","));
    if (!weighted && names.includes("scheduler") && names[0] !== "scheduler") {
      warnings.push(`args.sidekiqWorkers[${i}].queues: ${JSON.stringify(w.queues)} has no weights, which sidekiq reads as strict priority: ` +
        `"scheduler" waits whenever ${names.slice(0, names.indexOf("scheduler")).map((q) => JSON.stringify(q)).join(" or ")} has a backlog; ` +
        `weight them as Mastodon's chart does (${JSON.stringify(weightedSidekiqQueues(parseVersion(a.version)!).filter((e) => names.includes(queueName(e))))})`);
    }
  });
  // ALLOWED_PRIVATE_ADDRESSES: without the ingress controller's addresses, Mastodon refuses every in-cluster peer,
  // the only ones an isolated instance has. A shared CA (a MastodonPlatform's) is what such a lab's instances share.
  const addresses = a.ingress.controllerAddresses;
  if (a.egressGateway && addresses !== undefined) {
    warnings.push(`args.ingress.controllerAddresses: ${formatValue("ingress.controllerAddresses", addresses)} is unused with egressGateway: ` +
      "Mastodon then sends every request through the gateway, which refuses private addresses, so the instance federates over public addresses only");
  } else if (!a.egressGateway && !a.allowPublicEgress && addresses === undefined && a.tls.caCertificate !== undefined) {
    warnings.push("args.ingress.controllerAddresses: not given, so Mastodon refuses every private address (ALLOWED_PRIVATE_ADDRESSES is empty) " +
      "and this instance cannot federate with the cluster's other instances; give the ingress controller Service's addresses " +
      "(a MastodonPlatform's ingressServiceAddresses, or k3s's kube-system/traefik Service's spec.clusterIPs)");
  }
  return warnings;
}
