/** The streaming server: Node on port 4000 (its own image from 4.3), its Service and budget. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildContext, childOpts } from "../context";
import { componentLabels, selectorLabels } from "../names";
import { mastodonImages } from "../versions";
import { processEnv } from "./env";
import { MastodonRuntime, disruptionBudget, mastodonPodTemplate } from "./pod";

export const STREAMING_PORT = 4000;
export const STREAMING_PATH = "/api/v1/streaming";

export function streamingProbes() {
  const health = { httpGet: { path: `${STREAMING_PATH}/health`, port: "streaming" } };
  return {
    startupProbe: { ...health, initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 15, timeoutSeconds: 5 },
    readinessProbe: { ...health, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    livenessProbe: { ...health, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
  };
}

export function streamingDeployment(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const streaming = config.streaming;
  const images = mastodonImages(config.version, config.imageRepository, config.streamingImageRepository);
  const fullName = `${name}-streaming`;
  const selector = selectorLabels(name, "streaming");
  const deployment = new k8s.apps.v1.Deployment(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, "streaming", config.version.tag) },
    spec: {
      // One Node process per pod since 4.3: scale with replicas.
      replicas: streaming.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: mastodonPodTemplate(ctx, rt, {
        component: "streaming",
        version: config.version.tag,
        mountsMedia: false,
        resources: streaming.resources,
        container: {
          name: "streaming",
          image: images.streaming,
          command: images.streamingCommand,
          env: processEnv({ PORT: STREAMING_PORT, DB_POOL: streaming.dbPool }),
          ports: [{ name: "streaming", containerPort: STREAMING_PORT, protocol: "TCP" }],
          ...streamingProbes(),
        },
      }),
    },
  }, childOpts(ctx, { dependsOn }));

  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, "streaming") },
    spec: { selector, ports: [{ name: "streaming", port: STREAMING_PORT, targetPort: "streaming", protocol: "TCP" }] },
  }, childOpts(ctx));

  disruptionBudget(ctx, "streaming", streaming.replicas, selector, "streaming");
  return { deployment, service };
}
