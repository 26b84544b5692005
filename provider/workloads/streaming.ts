/** The streaming server: Node on port 4000 (its own image from 4.3), its Service and budget. */
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "../context";
import { hasStreamingImage, mastodonImages } from "../versions";
import { processEnv } from "./env";
import type { MastodonRuntime } from "./mastodonPod";
import { servingProcess } from "./serving";

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
  const { config } = ctx;
  const images = mastodonImages(config.version, config.imageRepository, config.streamingImageRepository);
  return servingProcess(ctx, rt, {
    component: "streaming",
    // One Node process per pod since 4.3: scale with replicas.
    scaling: config.streaming,
    port: STREAMING_PORT,
    portName: "streaming",
    resources: config.streaming.resources,
    mountsMedia: false,
    container: {
      image: images.streaming,
      command: images.streamingCommand,
      env: processEnv({
        PORT: STREAMING_PORT,
        DB_POOL: config.streaming.dbPool,
        // Before 4.3 the server forks one worker per host CPU, each with its own pool, which neither
        // the connection budget nor the memory limit allows for: one process per pod, as from 4.3.
        ...(hasStreamingImage(config.version) ? {} : { STREAMING_CLUSTER_NUM: 1 }),
      }),
      ...streamingProbes(),
    },
  }, dependsOn);
}
