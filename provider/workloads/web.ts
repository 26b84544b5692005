/** The web process: puma on port 3000, its Service, and its disruption budget. */
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "../context";
import { processEnv } from "./env";
import type { MastodonRuntime } from "./mastodonPod";
import { servingProcess } from "./serving";

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
  const web = ctx.config.web;
  return servingProcess(ctx, rt, {
    component: "web",
    replicas: web.replicas,
    port: WEB_PORT,
    portName: "http",
    resources: web.resources,
    mountsMedia: true,
    container: {
      command: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
      env: processEnv({ PORT: WEB_PORT, WEB_CONCURRENCY: web.processes, MAX_THREADS: web.threads, DB_POOL: web.dbPool }),
      ...webProbes(),
    },
  }, dependsOn);
}
