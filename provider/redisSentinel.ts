/**
 * Redis Sentinel: the embedded Redis made highly available (`redis.sentinel`), and where Mastodon finds the
 * master of any Sentinel set, this one or an external one (`redis.external.sentinels`).
 *
 * The embedded set is one StatefulSet of `replicas` pods (3 by default), each running a Redis server and a Sentinel
 * from the official redis image, found by their names in a headless Service. redisSentinel.sh writes both configs at
 * every start: the master is the one a running sentinel names, or the first pod when none answers (the set's first
 * start). When the master's pod is lost, a majority of sentinels promotes a replica; Mastodon (4.3+) asks the
 * sentinels for the master at each connection (REDIS_SENTINELS, REDIS_SENTINEL_MASTER, never REDIS_HOST or
 * REDIS_URL, which would win). One password serves Redis, replication and the sentinels themselves: Mastodon's Ruby
 * and Node clients send REDIS_PASSWORD to the sentinels when no sentinel password is set.
 *
 * Each Redis has the single server's memory bounds and append-only file. Each pod's data is on a claim of its own,
 * created by the component with the name the StatefulSet's claim template gives it (data-<set>-<ordinal>), so that the
 * StatefulSet uses it: protected and retained like every data claim, and grown like them (the template itself is left
 * as first created). Pods prefer distinct nodes (preferred, not required: a one-node lab still starts, with no
 * protection from losing that node), and a PodDisruptionBudget lets one go at a time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, afterVersionCheck, childOpts } from "./context";
import { REDIS_UID, containerResources, containerSecurityContext, execProbe, podSecurityContext } from "./containers";
import type { DataServer } from "./dataServer";
import { componentLabels, selectorLabels } from "./names";
import { REDIS_PORT, redisProbes, redisSettings } from "./redis";
import { persistentVolumeClaim } from "./storage";

export const SENTINEL_PORT = 26379;
/** The name the embedded set's sentinels monitor the master under (REDIS_SENTINEL_MASTER). */
export const SENTINEL_MASTER = "mastodon";
/** A master silent for 5 s is down for a sentinel; a failover not done in a minute is tried again. */
export const SENTINEL_DOWN_AFTER_MS = 5000;
export const SENTINEL_FAILOVER_TIMEOUT_MS = 60000;
/** The script every pod runs (both containers), mounted from a ConfigMap at SCRIPT_DIR. */
export const SENTINEL_SCRIPT = fs.readFileSync(path.join(__dirname, "redisSentinel.sh"), "utf8");
const SCRIPT_DIR = "/scripts";
const CONFIG_DIR = "/config";
const DATA_DIR = "/data";

export interface SentinelNode {
  host: string;
  redisPort: number;
  sentinelPort: number;
}

export function sentinelNames(instance: string) {
  return { statefulSet: `${instance}-redis-node`, service: `${instance}-redis-headless` };
}

/** The embedded set's nodes by ordinal: each pod's name in the headless Service. */
export function sentinelNodes(instance: string, namespace: string, replicas: number): SentinelNode[] {
  const names = sentinelNames(instance);
  return Array.from({ length: replicas }, (_, i) => ({
    host: `${names.statefulSet}-${i}.${names.service}.${namespace}.svc.cluster.local`,
    redisPort: REDIS_PORT,
    sentinelPort: SENTINEL_PORT,
  }));
}

/** A majority of the sentinels. */
export function sentinelQuorum(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/** What redisSentinel.sh reads besides the password and the pod's name. */
export function sentinelScriptEnv(nodes: SentinelNode[], dirs = { config: CONFIG_DIR, data: DATA_DIR }): Record<string, string> {
  return {
    REDIS_NODES: nodes.map((n) => `${n.host}:${n.redisPort}:${n.sentinelPort}`).join(" "),
    SENTINEL_MASTER,
    SENTINEL_QUORUM: String(sentinelQuorum(nodes.length)),
    SENTINEL_DOWN_AFTER_MS: String(SENTINEL_DOWN_AFTER_MS),
    SENTINEL_FAILOVER_TIMEOUT_MS: String(SENTINEL_FAILOVER_TIMEOUT_MS),
    CONFIG_DIR: dirs.config,
    DATA_DIR: dirs.data,
  };
}

/** REDIS_SENTINELS: every sentinel as host:port, comma-separated, as Mastodon's Ruby and Node clients read it. */
export function sentinelsVariable(nodes: Pick<SentinelNode, "host" | "sentinelPort">[]): string {
  return nodes.map((n) => `${n.host}:${n.sentinelPort}`).join(",");
}

/** The sentinels Mastodon asks for the master, and the master's name; undefined when Redis is one server. */
export function sentinelEndpoints(config: Pick<MastodonConfig, "name" | "namespace" | "redis">): { sentinels: SentinelNode[]; masterName: string } | undefined {
  const external = config.redis.external;
  if (external?.sentinels) {
    const sentinels = external.sentinels.map((s) => {
      const [host, port] = s.split(":");
      return { host, redisPort: external.port, sentinelPort: port === undefined ? SENTINEL_PORT : Number(port) };
    });
    return { sentinels, masterName: external.masterName! };
  }
  if (config.redis.sentinel) return { sentinels: sentinelNodes(config.name, config.namespace, config.redis.sentinel.replicas), masterName: SENTINEL_MASTER };
  return undefined;
}

export interface SentinelRedis extends DataServer {
  claims: k8s.core.v1.PersistentVolumeClaim[];
  disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
}

/** The embedded Sentinel set. */
export function sentinelRedis(ctx: BuildContext, password: pulumi.Output<string>): SentinelRedis {
  const { name, namespace, config } = ctx;
  const redis = config.redis;
  const sentinel = redis.sentinel!;
  const names = sentinelNames(name);
  const labels = componentLabels(name, "redis");
  const selector = selectorLabels(name, "redis");

  const secret = new k8s.core.v1.Secret(`${name}-redis`, {
    metadata: { namespace, labels },
    type: "Opaque",
    stringData: { password },
  }, childOpts(ctx));
  // Auto-named: a new script makes a new ConfigMap, and the pods roll to it.
  const scripts = new k8s.core.v1.ConfigMap(`${name}-redis-scripts`, {
    metadata: { namespace, labels },
    data: { "redisSentinel.sh": SENTINEL_SCRIPT },
  }, childOpts(ctx));

  const claims = Array.from({ length: sentinel.replicas }, (_, i) => persistentVolumeClaim(ctx, {
    id: `redis-data-${i}`,
    claimName: `data-${names.statefulSet}-${i}`,
    component: "redis",
    accessMode: "ReadWriteOnce",
    size: redis.storageSize,
    storageClassName: redis.storageClassName,
  }));

  // Pods resolve each other by name before they are ready: the set forms while it starts.
  const service = new k8s.core.v1.Service(names.service, {
    metadata: { name: names.service, namespace, labels },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: [
        { name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" },
        { name: "sentinel", port: SENTINEL_PORT, targetPort: "sentinel", protocol: "TCP" },
      ],
    },
  }, childOpts(ctx));

  const passwordRef = { secretKeyRef: { name: secret.metadata.name, key: "password" } };
  const env = [
    { name: "REDIS_PASSWORD", valueFrom: passwordRef },
    // redis-cli (the script, the probes) authenticates without a password on its command line.
    { name: "REDISCLI_AUTH", valueFrom: passwordRef },
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ...Object.entries(sentinelScriptEnv(sentinelNodes(name, config.namespace, sentinel.replicas))).map(([k, value]) => ({ name: k, value })),
  ];
  const image = afterVersionCheck(ctx, redis.image);
  const mounts = [
    { name: "config", mountPath: CONFIG_DIR },
    { name: "scripts", mountPath: SCRIPT_DIR, readOnly: true },
  ];
  const sentinelPing = ["sh", "-c", `redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`];

  const statefulSet = new k8s.apps.v1.StatefulSet(names.statefulSet, {
    metadata: { name: names.statefulSet, namespace, labels },
    spec: {
      replicas: sentinel.replicas,
      serviceName: names.service,
      // One pod after the other: the first is the master before the next one asks the sentinels.
      podManagementPolicy: "OrderedReady",
      selector: { matchLabels: selector },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      volumeClaimTemplates: [{
        metadata: { name: "data", labels },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: redis.storageClassName,
          resources: { requests: { storage: redis.storageSize } },
        },
      }],
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          securityContext: podSecurityContext(REDIS_UID),
          automountServiceAccountToken: false,
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{
                weight: 100,
                podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" },
              }],
            },
          },
          containers: [
            {
              name: "redis",
              image,
              command: ["sh", `${SCRIPT_DIR}/redisSentinel.sh`, "redis"],
              args: redisSettings(true, redis.resources.limits.memory, "queues"),
              env,
              ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
              ...redisProbes(REDIS_PORT),
              resources: containerResources(redis.resources),
              securityContext: containerSecurityContext,
              volumeMounts: [{ name: "data", mountPath: DATA_DIR }, ...mounts],
            },
            {
              name: "sentinel",
              image,
              command: ["sh", `${SCRIPT_DIR}/redisSentinel.sh`, "sentinel"],
              env,
              ports: [{ name: "sentinel", containerPort: SENTINEL_PORT, protocol: "TCP" }],
              // The script waits up to two minutes for the master's name to resolve.
              startupProbe: execProbe(sentinelPing, 5, 30),
              readinessProbe: execProbe(sentinelPing, 5, 6),
              livenessProbe: execProbe(sentinelPing, 10, 6),
              resources: containerResources(sentinel.resources),
              securityContext: containerSecurityContext,
              volumeMounts: mounts,
            },
          ],
          volumes: [
            { name: "config", emptyDir: {} },
            { name: "scripts", configMap: { name: scripts.metadata.name } },
          ],
        },
      },
    },
  }, childOpts(ctx, {
    // The claims exist before the StatefulSet, which then uses them instead of making its own.
    dependsOn: claims,
    // The template only names the claims; they grow through their own objects. It cannot change in place.
    ignoreChanges: ["spec.volumeClaimTemplates"],
  }));

  const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(names.statefulSet, {
    metadata: { name: names.statefulSet, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  }, childOpts(ctx));

  return { statefulSet, service, claims, disruptionBudget };
}
