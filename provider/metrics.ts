/**
 * Prometheus metrics, with `metrics.enabled` (Mastodon 4.4 on). Mastodon's own exporter (config/initializers/
 * prometheus_exporter.rb, lib/mastodon/prometheus_exporter/local_server.rb) runs inside web (puma's master) and
 * each sidekiq process when MASTODON_PROMETHEUS_EXPORTER_ENABLED and _LOCAL are true, serving /metrics on
 * MASTODON_PROMETHEUS_EXPORTER_HOST:_PORT (localhost:9394 unless told). The streaming server serves /metrics on its
 * own port, 4000 (before 4.4 that is all there is).
 *
 * Here: the variables (the instance's env ConfigMap), a headless Service per process for Prometheus to discover
 * (port "metrics"), a NetworkPolicy that admits only the monitoring namespace, on those ports, and, only when asked,
 * a ServiceMonitor (the Prometheus Operator's CRD may be absent).
 * The alerts on the backup and the cleanups are alerts.ts's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { LABEL_PREFIX, componentLabels, instanceLabels, selectorLabels } from "./names";
import { bindAddress } from "./workloads/env";
import { STREAMING_PORT } from "./workloads/streaming";

/** The exporter's port (its default, MASTODON_PROMETHEUS_EXPORTER_PORT). */
export const METRICS_PORT = 9394;
/** On every metrics Service: what the ServiceMonitor selects. */
export const METRICS_LABEL = `${LABEL_PREFIX}/metrics`;

/** The exporter's variables for the env ConfigMap; none unless metrics are on. */
export function metricsEnv(config: MastodonConfig): Record<string, string> {
  const m = config.metrics;
  if (!m.enabled) return {};
  return {
    MASTODON_PROMETHEUS_EXPORTER_ENABLED: "true",
    // The exporter's server inside each process (no separate prometheus_exporter process to run).
    MASTODON_PROMETHEUS_EXPORTER_LOCAL: "true",
    // Its default, localhost, is out of Prometheus' reach.
    MASTODON_PROMETHEUS_EXPORTER_HOST: bindAddress(config.clusterCidrs),
    MASTODON_PROMETHEUS_EXPORTER_PORT: String(METRICS_PORT),
    ...(m.detailed ? { MASTODON_PROMETHEUS_EXPORTER_WEB_DETAILED_METRICS: "true", MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS: "true" } : {}),
  };
}

/** What each process serves metrics on. */
export const METRICS_TARGETS = [
  { component: "web", port: METRICS_PORT },
  { component: "sidekiq", port: METRICS_PORT },
  { component: "streaming", port: STREAMING_PORT },
] as const;

/** The headless Service in front of one process's metrics port. */
export function metricsServiceName(instance: string, component: string): string {
  return `${instance}-${component}-metrics`;
}

/** The URL of one process's metrics, through its Service, from any namespace. */
export function metricsUrl(instance: string, namespace: pulumi.Input<string>, component: string): pulumi.Output<string> {
  return pulumi.interpolate`http://${metricsServiceName(instance, component)}.${namespace}.svc:${METRICS_PORT}/metrics`;
}

/** The NetworkPolicy: only the monitoring namespace's pods, only on the metrics ports. */
export function metricsNetworkPolicySpec(config: MastodonConfig): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: {
      matchLabels: { "app.kubernetes.io/instance": config.name, "app.kubernetes.io/name": "mastodon" },
      matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: METRICS_TARGETS.map((t) => t.component) }],
    },
    policyTypes: ["Ingress"],
    ingress: [{
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": config.metrics.monitoringNamespace } } }],
      ports: [...new Set(METRICS_TARGETS.map((t) => t.port))].map((port) => ({ protocol: "TCP", port })),
    }],
  };
}

export interface MetricsParts {
  services: k8s.core.v1.Service[];
  policy: k8s.networking.v1.NetworkPolicy;
  serviceMonitor?: k8s.apiextensions.CustomResource;
}

/** The metrics Services (after `processes`, so they are not awaited through a rollout), policy and ServiceMonitor. */
export function instanceMetrics(ctx: BuildContext, processes: pulumi.Resource[]): MetricsParts | undefined {
  const { name, namespace, config } = ctx;
  if (!config.metrics.enabled) return undefined;
  const policy = new k8s.networking.v1.NetworkPolicy(`${name}-metrics`, {
    metadata: { name: `${name}-metrics`, namespace, labels: instanceLabels(name) },
    spec: metricsNetworkPolicySpec(config),
  }, childOpts(ctx));
  const services = METRICS_TARGETS.map(({ component, port }) => {
    const fullName = metricsServiceName(name, component);
    return new k8s.core.v1.Service(fullName, {
      metadata: { name: fullName, namespace, labels: { ...componentLabels(name, component), [METRICS_LABEL]: "true" } },
      spec: {
        // Prometheus scrapes each pod: no virtual address needed.
        clusterIP: "None",
        selector: selectorLabels(name, component),
        ports: [{ name: "metrics", port, targetPort: port, protocol: "TCP" }],
      },
    }, childOpts(ctx, { dependsOn: processes }));
  });
  const serviceMonitor = config.metrics.serviceMonitor
    ? new k8s.apiextensions.CustomResource(`${name}-metrics`, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: `${name}-metrics`, namespace, labels: instanceLabels(name) },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/instance": name, [METRICS_LABEL]: "true" } },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
      },
    }, childOpts(ctx, { dependsOn: services }))
    : undefined;
  return { services, policy, serviceMonitor };
}
