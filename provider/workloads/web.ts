/** The web process: puma on port 3000, its Service, and its disruption budget. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildContext, childOpts } from "../context";
import { componentLabels, selectorLabels } from "../names";
import { processEnv } from "./env";
import { MastodonRuntime, disruptionBudget, mastodonPodTemplate } from "./pod";

export const WEB_PORT = 3000;

/** Probes as Mastodon's chart sets them: /health checks the database and the cache. */
export function webProbes() {
  const health = { httpGet: { path: "/health", port: "http" } };
  return {
    startupProbe: { ...health, initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 30, timeoutSeconds: 5 },
    readinessProbe: { ...health, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
  };
}

export function webDeployment(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const web = config.web;
  const fullName = `${name}-web`;
  const selector = selectorLabels(name, "web");
  const deployment = new k8s.apps.v1.Deployment(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, "web", config.version.tag) },
    spec: {
      replicas: web.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      // Keep serving through a version change: a new pod must be ready before an old one stops.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: mastodonPodTemplate(ctx, rt, {
        component: "web",
        version: config.version.tag,
        mountsMedia: true,
        resources: web.resources,
        container: {
          name: "web",
          command: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
          env: processEnv({ PORT: WEB_PORT, WEB_CONCURRENCY: web.processes, MAX_THREADS: web.threads, DB_POOL: web.dbPool }),
          ports: [{ name: "http", containerPort: WEB_PORT, protocol: "TCP" }],
          ...webProbes(),
        },
      }),
    },
  }, childOpts(ctx, { dependsOn }));

  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, "web") },
    spec: { selector, ports: [{ name: "http", port: WEB_PORT, targetPort: "http", protocol: "TCP" }] },
  }, childOpts(ctx));

  disruptionBudget(ctx, "web", web.replicas, selector, "web");
  return { deployment, service };
}
