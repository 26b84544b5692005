/**
 * Redis: an embedded single-server StatefulSet (official image) with a password and optional
 * append-only persistence on a claim of its own, or the address of an external server.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { componentLabels, selectorLabels } from "./names";
import { REDIS_UID, containerResources, containerSecurityContext, execProbe, podSecurityContext } from "./pod";
import { persistentVolumeClaim } from "./storage";

export const REDIS_PORT = 6379;

export function redisHost(config: MastodonConfig): pulumi.Input<string> {
  return config.redis.external?.host ?? `${config.name}-redis`;
}

export interface EmbeddedRedis {
  statefulSet: k8s.apps.v1.StatefulSet;
  service: k8s.core.v1.Service;
  data?: k8s.core.v1.PersistentVolumeClaim;
}

/** redis-server's arguments: the password from the environment, persistence as configured. */
export function redisArgs(persistence: boolean): string[] {
  const durability = persistence
    ? ["--appendonly", "yes", "--dir", "/data"]
    : ["--appendonly", "no", "--save", ""];
  return ["--requirepass", "$(REDIS_PASSWORD)", "--port", String(REDIS_PORT), ...durability];
}

export function embeddedRedis(ctx: BuildContext, password: pulumi.Output<string>): EmbeddedRedis {
  const { name, namespace, config } = ctx;
  const redis = config.redis;
  const fullName = `${name}-redis`;
  const labels = componentLabels(name, "redis");
  const selector = selectorLabels(name, "redis");

  const secret = new k8s.core.v1.Secret(fullName, {
    metadata: { namespace, labels },
    type: "Opaque",
    stringData: { password },
  }, childOpts(ctx));

  const data = redis.persistence
    ? persistentVolumeClaim(ctx, {
      id: "redis-data",
      component: "redis",
      size: redis.storageSize,
      storageClassName: redis.storageClassName,
      accessMode: "ReadWriteOnce",
    })
    : undefined;

  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: {
      selector,
      ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }],
    },
  }, childOpts(ctx));

  // REDISCLI_AUTH lets redis-cli authenticate without a password on its command line.
  const ping = ["sh", "-c", "redis-cli -p " + REDIS_PORT + " ping | grep -q PONG"];
  const passwordRef = { secretKeyRef: { name: secret.metadata.name, key: "password" } };
  const statefulSet = new k8s.apps.v1.StatefulSet(fullName, {
    metadata: { name: fullName, namespace, labels },
    spec: {
      replicas: 1,
      serviceName: fullName,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          securityContext: podSecurityContext(REDIS_UID),
          automountServiceAccountToken: false,
          containers: [{
            name: "redis",
            image: redis.image,
            command: ["redis-server"],
            args: redisArgs(redis.persistence),
            env: [
              { name: "REDIS_PASSWORD", valueFrom: passwordRef },
              { name: "REDISCLI_AUTH", valueFrom: passwordRef },
            ],
            ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
            readinessProbe: execProbe(ping, 5, 6, 2),
            livenessProbe: execProbe(ping, 10, 6, 15),
            resources: containerResources(redis.resources),
            securityContext: containerSecurityContext,
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          }],
          volumes: [
            data
              ? { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } }
              : { name: "data", emptyDir: {} },
          ],
        },
      },
    },
  }, childOpts(ctx));

  return { statefulSet, service, data };
}
