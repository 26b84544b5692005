/**
 * Redis: an embedded single-server StatefulSet (official image) with a password and optional
 * append-only persistence on a claim of its own, or the address of an external server.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import type { BuildContext } from "./context";
import { DataServer, dataServer } from "./dataServer";
import { REDIS_UID, execProbe } from "./containers";

export const REDIS_PORT = 6379;

export function redisHost(config: MastodonConfig): pulumi.Input<string> {
  return config.redis.external?.host ?? `${config.name}-redis`;
}

/** redis-server's arguments: the password from the environment, persistence as configured. */
export function redisArgs(persistence: boolean): string[] {
  const durability = persistence
    ? ["--appendonly", "yes", "--dir", "/data"]
    : ["--appendonly", "no", "--save", ""];
  return ["--requirepass", "$(REDIS_PASSWORD)", "--port", String(REDIS_PORT), ...durability];
}

export function embeddedRedis(ctx: BuildContext, password: pulumi.Output<string>): DataServer {
  const redis = ctx.config.redis;
  // REDISCLI_AUTH lets redis-cli authenticate without a password on its command line.
  const ping = ["sh", "-c", `redis-cli -p ${REDIS_PORT} ping | grep -q PONG`];
  return dataServer(ctx, {
    component: "redis",
    image: redis.image,
    port: REDIS_PORT,
    uid: REDIS_UID,
    password,
    resources: redis.resources,
    dataPath: "/data",
    storage: redis.persistence ? { size: redis.storageSize, storageClassName: redis.storageClassName } : undefined,
    container: (passwordRef) => ({
      command: ["redis-server"],
      args: redisArgs(redis.persistence),
      env: [
        { name: "REDIS_PASSWORD", valueFrom: passwordRef },
        { name: "REDISCLI_AUTH", valueFrom: passwordRef },
      ],
      // Loading a large append-only file may take long: up to 15 minutes to start.
      startupProbe: execProbe(ping, 10, 90),
      readinessProbe: execProbe(ping, 5, 6),
      // Alive while it answers, LOADING included (it replies so while reading its data back).
      livenessProbe: execProbe(["sh", "-c", `redis-cli -p ${REDIS_PORT} ping | grep -qE 'PONG|LOADING'`], 10, 6),
    }),
  });
}
