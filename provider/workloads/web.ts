/** The web process: puma on port 3000, its Service, and its disruption budget. */
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "../context";
import { bindAddress, processEnv } from "./env";
import type { MastodonRuntime } from "./mastodonPod";
import { servingProcess } from "./serving";

export const WEB_PORT = 3000;

/** Traefik's idle timeout for its keep-alive connections to backends (serversTransport forwardingTimeouts.idleConnTimeout, default 90 s). */
export const TRAEFIK_BACKEND_IDLE_SECONDS = 90;

/**
 * Puma's keep-alive (PERSISTENT_TIMEOUT, 20 s in Mastodon's config/puma.rb) outlasts Traefik's idle connections to
 * backends (its serversTransport's idleConnTimeout, 90 s by default): the proxy always closes an idle connection
 * first, and never sends a request (an inbox POST) on one puma is closing, which would come back as a 502.
 */
export const PUMA_PERSISTENT_TIMEOUT_SECONDS = TRAEFIK_BACKEND_IDLE_SECONDS + 5;

/** Puma's bind host: an IPv6 address in brackets, as its tcp:// URL needs (BIND is used as is there). */
export function pumaBindHost(bind: string): string {
  return bind.includes(":") ? `[${bind}]` : bind;
}

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
    scaling: web,
    port: WEB_PORT,
    portName: "http",
    resources: web.resources,
    mountsMedia: true,
    container: {
      command: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
      env: processEnv({
        PORT: WEB_PORT,
        WEB_CONCURRENCY: web.processes,
        MAX_THREADS: web.threads,
        DB_POOL: web.dbPool,
        PERSISTENT_TIMEOUT: PUMA_PERSISTENT_TIMEOUT_SECONDS,
        // Only an IPv6 bind differs: config/puma.rb writes tcp://BIND:PORT, the streaming server (Node) takes BIND bare.
        ...(bindAddress(ctx.config.clusterCidrs).includes(":") ? { BIND: pumaBindHost(bindAddress(ctx.config.clusterCidrs)) } : {}),
      }),
      ...webProbes(),
    },
  }, dependsOn);
}
