/**
 * How the processes scale and stay up: the HorizontalPodAutoscaler (CPU) or KEDA ScaledObject (sidekiq's queues:
 * their backlog in Redis, or their latency from Mastodon's exporter)
 * that owns an autoscaled Deployment's pod count, the topology spread of replicated pods across nodes and zones,
 * and the disruption budgets. docs/scaling.md explains the choices.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AutoscalingConfig, MastodonConfig, SidekiqWorkerConfig } from "../args";
import { BuildContext, childOpts } from "../context";
import { Component, componentLabels, instanceLabels } from "../names";
import { REDIS_PORT, redisHost } from "../redis";
import { SentinelNode, sentinelEndpoints } from "../redisSentinel";

/** Where KEDA's ScaledObject and TriggerAuthentication live (the CRDs of KEDA 2.x). */
export const KEDA_API_VERSION = "keda.sh/v1alpha1";

/** A process's pod count: fixed, or the bounds its autoscaler moves within. */
export interface Scaling {
  replicas: number;
  autoscaling?: AutoscalingConfig;
}

/** True when the process may run more than one pod. */
export function isReplicated(s: Scaling): boolean {
  return (s.autoscaling?.maxReplicas ?? s.replicas) > 1;
}

/**
 * Spread a workload's pods over nodes, and over zones where nodes carry the zone label: a preference
 * (ScheduleAnyway), so that a one-node cluster or one without zones still schedules every pod; nodes without the
 * label are simply not scored on it. Counted per ReplicaSet (pod-template-hash), so a rollout spreads its new pods
 * afresh instead of counting the old ones it is about to stop.
 */
export function topologySpread(matchLabels: Record<string, string>): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  return ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels },
    matchLabelKeys: ["pod-template-hash"],
  }));
}

/**
 * A PodDisruptionBudget for a workload that may run more than one pod: one pod at a time may be evicted
 * (maxUnavailable 1), whatever the count is when a node drains. At the minimum count this keeps min - 1 pods
 * serving; a `minAvailable` equal to the minimum would instead forbid every eviction at that count and block node
 * drains. A workload of one fixed pod gets none: the budget could only block a drain or allow it anyway.
 */
export function disruptionBudget(ctx: BuildContext, id: string, scaling: Scaling, matchLabels: Record<string, string>, component: Component) {
  if (!isReplicated(scaling)) return undefined;
  return new k8s.policy.v1.PodDisruptionBudget(`${ctx.name}-${id}`, {
    metadata: { name: `${ctx.name}-${id}`, namespace: ctx.namespace, labels: componentLabels(ctx.name, component) },
    spec: { maxUnavailable: 1, selector: { matchLabels } },
  }, ctx.opts);
}

/**
 * A Deployment's `replicas`: none when an autoscaler owns the count. With server-side apply the field then has no
 * value from Pulumi, so an update (a new version) neither resets the count the autoscaler chose nor competes with
 * it for the field's ownership.
 */
export function deploymentReplicas(s: Scaling): number | undefined {
  return s.autoscaling ? undefined : s.replicas;
}

/** The HorizontalPodAutoscaler (autoscaling/v2) of a process scaled on CPU. */
export function cpuAutoscaler(ctx: BuildContext, id: string, deployment: k8s.apps.v1.Deployment, a: AutoscalingConfig, component: Component) {
  const fullName = `${ctx.name}-${id}`;
  return new k8s.autoscaling.v2.HorizontalPodAutoscaler(fullName, {
    metadata: { name: fullName, namespace: ctx.namespace, labels: componentLabels(ctx.name, component) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.targetCPUUtilizationPercentage } } }],
    },
  }, childOpts(ctx, { dependsOn: [deployment] }));
}

/**
 * The Redis address as KEDA's operator reaches it, from its own namespace: a bare Service name is qualified with
 * the instance's namespace, an IPv6 address bracketed.
 */
export function kedaRedisAddress(ctx: BuildContext): pulumi.Output<string> {
  const port = ctx.config.redis.external?.port ?? REDIS_PORT;
  return pulumi.all([redisHost(ctx.config), ctx.namespace]).apply(([host, namespace]) => kedaAddress(host, port, namespace));
}

function kedaAddress(host: string, port: number, namespace: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host.includes(".") ? host : `${host}.${namespace}.svc`}:${port}`;
}

/** A Sentinel set's sentinels as KEDA's operator reaches them (redis-sentinel scaler's `addresses`). */
function kedaSentinelAddresses(ctx: BuildContext, sentinels: SentinelNode[]): pulumi.Output<string> {
  return pulumi.output(ctx.namespace).apply((namespace) => sentinels.map((s) => kedaAddress(s.host, s.sentinelPort, namespace)).join(","));
}

/**
 * KEDA's credentials for the Redis scaler: the Redis password, read from the instance's env Secret; with Sentinel
 * the sentinels' password too, the same one (KEDA, unlike Mastodon, does not fall back to the Redis password).
 */
export function kedaRedisAuthentication(ctx: BuildContext, envSecretName: pulumi.Input<string>) {
  const fullName = `${ctx.name}-keda-redis`;
  const parameters = sentinelEndpoints(ctx.config) ? ["password", "sentinelPassword"] : ["password"];
  return new k8s.apiextensions.CustomResource(fullName, {
    apiVersion: KEDA_API_VERSION,
    kind: "TriggerAuthentication",
    metadata: { name: fullName, namespace: ctx.namespace, labels: instanceLabels(ctx.name) },
    spec: { secretTargetRef: parameters.map((parameter) => ({ parameter, name: envSecretName, key: "REDIS_PASSWORD" })) },
  }, childOpts(ctx));
}

/** Which sidekiq groups KEDA scales, and on what: the backlog (Redis) or the latency (the exporter). */
export function kedaReads(config: MastodonConfig): { backlog: boolean; latency: boolean } {
  const keda = config.sidekiqWorkers.map((w) => w.autoscaling).filter((a) => a?.scaler === "keda");
  return { backlog: keda.some((a) => a!.targetQueueLatencySeconds === undefined), latency: keda.some((a) => a!.targetQueueLatencySeconds !== undefined) };
}

/** One queue's trigger: the length of sidekiq's list `queue:<name>` in Redis, or its latency from the exporter. */
function queueTrigger(ctx: BuildContext, queue: string, a: AutoscalingConfig, auth: k8s.apiextensions.CustomResource | undefined, metricsUrl: pulumi.Input<string>) {
  if (a.targetQueueLatencySeconds !== undefined) {
    // Each sidekiq process reports the queues it serves; KEDA asks every ready pod behind the metrics Service and
    // keeps the largest answer (pods of other groups do not report this queue: their error is ignored). "Value":
    // the count grows in proportion to the latency over its target.
    return {
      type: "metrics-api",
      metricType: "Value",
      metadata: {
        url: metricsUrl,
        format: "prometheus",
        valueLocation: `sidekiq_queue_latency_seconds{queue="${queue}"}`,
        targetValue: String(a.targetQueueLatencySeconds),
        aggregateFromKubeServiceEndpoints: "true",
        aggregationType: "max",
      },
    };
  }
  const list = { listName: `queue:${queue}`, listLength: String(a.targetQueueLength) };
  const authenticationRef = auth ? { authenticationRef: { name: auth.metadata.name } } : {};
  // A Sentinel set: KEDA asks the sentinels for the master, as Mastodon does.
  const sentinel = sentinelEndpoints(ctx.config);
  if (sentinel) {
    return { type: "redis-sentinel", metadata: { addresses: kedaSentinelAddresses(ctx, sentinel.sentinels), sentinelMaster: sentinel.masterName, ...list }, ...authenticationRef };
  }
  return { type: "redis", metadata: { address: kedaRedisAddress(ctx), ...list }, ...authenticationRef };
}

/**
 * A KEDA ScaledObject for a sidekiq group: one trigger per queue, on the jobs waiting in it (`targetQueueLength` per
 * pod) or on its oldest job's wait (`targetQueueLatencySeconds`, read at `metricsUrl`); KEDA takes the largest count the triggers ask for,
 * and creates and owns the HorizontalPodAutoscaler itself (keda-hpa-<name>).
 */
export function kedaScaledObject(
  ctx: BuildContext, worker: SidekiqWorkerConfig, deployment: k8s.apps.v1.Deployment,
  auth: k8s.apiextensions.CustomResource | undefined, metricsUrl: pulumi.Input<string>,
) {
  const a = worker.autoscaling!;
  const fullName = `${ctx.name}-sidekiq-${worker.name}`;
  const usesAuth = auth !== undefined && a.targetQueueLatencySeconds === undefined;
  return new k8s.apiextensions.CustomResource(fullName, {
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata: { name: fullName, namespace: ctx.namespace, labels: componentLabels(ctx.name, "sidekiq") },
    spec: {
      scaleTargetRef: { name: deployment.metadata.name },
      minReplicaCount: a.minReplicas,
      maxReplicaCount: a.maxReplicas,
      triggers: worker.queues.map((entry) => queueTrigger(ctx, entry.split(",")[0], a, usesAuth ? auth : undefined, metricsUrl)),
    },
  }, childOpts(ctx, { dependsOn: [deployment, ...(usesAuth ? [auth!] : [])] }));
}
