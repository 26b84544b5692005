/**
 * Redis: an embedded single-server StatefulSet (official image) with a password and optional
 * append-only persistence on a claim of its own, or the address of an external server; and, when
 * asked, a second, memory-only Redis for Mastodon's cache (CACHE_REDIS_*), as Mastodon's scaling
 * guide and its chart split it off.
 *
 * Memory: the queue store holds sidekiq's queues, retries and schedule and the home feeds. Its
 * `maxmemory` is half the container's limit with persistence (an AOF rewrite forks, and the child's
 * copy-on-write pages count against the same limit) and three quarters without, under the
 * `noeviction` policy: when full, writes fail with an error Mastodon reports, instead of the kernel
 * killing Redis (and a restart replaying the AOF at the same limit being killed again). The cache
 * Redis evicts its least recently used keys (`allkeys-lru`): its data are disposable.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig, ResourceProfile } from "./args";
import type { BuildContext } from "./context";
import { REDIS_UID, execProbe, memoryBytes } from "./containers";
import { DataServer, dataServer } from "./dataServer";

export const REDIS_PORT = 6379;

export function redisHost(config: MastodonConfig): pulumi.Input<string> {
  return config.redis.external?.host ?? `${config.name}-redis`;
}

/** The cache Redis's Service, when the instance runs one. */
export function redisCacheHost(config: MastodonConfig): string | undefined {
  return config.redis.cache.enabled ? `${config.name}-redis-cache` : undefined;
}

export type RedisRole = "queues" | "cache";

/** The share of the container's memory limit Redis may fill: room for an AOF rewrite's fork when persistent. */
export function maxMemoryBytes(limit: string, persistence: boolean): number {
  return Math.floor(memoryBytes(limit) * (persistence ? 0.5 : 0.75));
}

/** The memory bound and policy of a role, and persistence as configured: what every embedded Redis runs with. */
export function redisSettings(persistence: boolean, memoryLimit: string, role: RedisRole = "queues"): string[] {
  const durability = persistence ? ["--appendonly", "yes"] : ["--appendonly", "no", "--save", ""];
  const memory = ["--maxmemory", String(maxMemoryBytes(memoryLimit, persistence)), "--maxmemory-policy", role === "queues" ? "noeviction" : "allkeys-lru"];
  return [...memory, ...durability];
}

/** redis-server's arguments: the password from the environment, the port, the settings of its role, the data in /data. */
export function redisArgs(persistence: boolean, memoryLimit: string, role: RedisRole = "queues"): string[] {
  return ["--requirepass", "$(REDIS_PASSWORD)", "--port", String(REDIS_PORT), ...redisSettings(persistence, memoryLimit, role), ...(persistence ? ["--dir", "/data"] : [])];
}

interface RedisSpec {
  component: "redis" | "redis-cache";
  role: RedisRole;
  image: string;
  persistence: boolean;
  storage?: { size: string; storageClassName?: string };
  resources: ResourceProfile;
}

/** A Redis container's probes; redis-cli authenticates with REDISCLI_AUTH, no password on its command line. */
export function redisProbes(port: number) {
  const ping = ["sh", "-c", `redis-cli -p ${port} ping | grep -q PONG`];
  return {
    // Loading a large append-only file may take long: up to 15 minutes to start.
    startupProbe: execProbe(ping, 10, 90),
    readinessProbe: execProbe(ping, 5, 6),
    // Alive while it answers, LOADING included (it replies so while reading its data back).
    livenessProbe: execProbe(["sh", "-c", `redis-cli -p ${port} ping | grep -qE 'PONG|LOADING'`], 10, 6),
  };
}

function redisServer(ctx: BuildContext, password: pulumi.Output<string>, spec: RedisSpec): DataServer {
  return dataServer(ctx, {
    component: spec.component,
    image: spec.image,
    port: REDIS_PORT,
    uid: REDIS_UID,
    password,
    resources: spec.resources,
    dataPath: "/data",
    storage: spec.persistence ? spec.storage : undefined,
    container: (passwordRef) => ({
      command: ["redis-server"],
      args: redisArgs(spec.persistence, spec.resources.limits.memory, spec.role),
      env: [
        { name: "REDIS_PASSWORD", valueFrom: passwordRef },
        { name: "REDISCLI_AUTH", valueFrom: passwordRef },
      ],
      ...redisProbes(REDIS_PORT),
    }),
  });
}

export function embeddedRedis(ctx: BuildContext, password: pulumi.Output<string>): DataServer {
  const redis = ctx.config.redis;
  return redisServer(ctx, password, {
    component: "redis",
    role: "queues",
    image: redis.image,
    persistence: redis.persistence,
    storage: { size: redis.storageSize, storageClassName: redis.storageClassName },
    resources: redis.resources,
  });
}

/** The cache Redis: memory only (nothing in it is worth a volume), evicting as it fills. */
export function cacheRedis(ctx: BuildContext, password: pulumi.Output<string>): DataServer {
  const redis = ctx.config.redis;
  return redisServer(ctx, password, { component: "redis-cache", role: "cache", image: redis.image, persistence: false, resources: redis.cache.resources });
}
