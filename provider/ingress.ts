/**
 * Routing through Traefik. We use Traefik's own IngressRoute and Middleware CRDs rather than a
 * networking.k8s.io Ingress: the routes need middlewares (HTTPS redirect, HSTS and security
 * headers, a request-body limit), which an Ingress can reach only through annotations naming
 * `namespace-name@kubernetescrd` strings that nothing validates, and Traefik is a requirement anyway.
 *
 *   Host(web host) && PathPrefix(/api/v1/streaming) ─► streaming:4000 (WebSockets pass as is)
 *   Host(web host) && POST, PUT or PATCH            ─► web:3000, request body limited (buffered)
 *   Host(web host)                                  ─► web:3000
 *   HTTP entry point                                ─► 308 to HTTPS
 *   Host(domain) /.well-known/* when webDomain is set ─► redirect to the web host (WebFinger)
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildContext, childOpts } from "./context";
import { instanceLabels } from "./names";
import { STREAMING_PATH, STREAMING_PORT } from "./workloads/streaming";
import { WEB_PORT } from "./workloads/web";

export const TRAEFIK_API = "traefik.io/v1alpha1";
/** Two years, the HSTS preload list's minimum. */
export const HSTS_SECONDS = 63072000;
/**
 * How long Traefik may take to read one request, body included, where we configure Traefik (the platform's, k3s's
 * in the examples): Traefik v3's entry points stop reading after 60 s by default, which a 99 MB video upload on a
 * slow link (under ~13 Mbit/s) exceeds. Fifteen minutes carries it at about 1 Mbit/s.
 */
export const TRAEFIK_READ_TIMEOUT = "900s";

/** An entry point's `transport` in the Traefik chart's values: the read timeout uploads need; the other timeouts stay Traefik's. */
export function traefikEntryPointTransport() {
  return { respondingTimeouts: { readTimeout: TRAEFIK_READ_TIMEOUT } };
}

/** Methods whose request bodies the request-body limit applies to. */
export const UPLOAD_METHODS = ["POST", "PUT", "PATCH"];

export interface RouteTargets {
  webService: pulumi.Input<string>;
  streamingService: pulumi.Input<string>;
  tlsSecretName: pulumi.Input<string>;
}

function traefikObject(ctx: BuildContext, id: string, kind: string, spec: Record<string, unknown>, opts: pulumi.CustomResourceOptions = {}) {
  const fullName = `${ctx.name}-${id}`;
  return new k8s.apiextensions.CustomResource(fullName, {
    apiVersion: TRAEFIK_API,
    kind,
    metadata: { name: fullName, namespace: ctx.namespace, labels: instanceLabels(ctx.name) },
    spec,
  }, childOpts(ctx, opts));
}

/** Middleware specs, by name suffix: pure, so tests read them directly. */
export function middlewareSpecs(maxRequestBodyBytes: number): Record<string, Record<string, unknown>> {
  return {
    "https-redirect": { redirectScheme: { scheme: "https", permanent: true } },
    "security-headers": {
      headers: {
        stsSeconds: HSTS_SECONDS,
        stsIncludeSubdomains: false,
        contentTypeNosniff: true,
        referrerPolicy: "same-origin",
        customResponseHeaders: { "X-Powered-By": "", Server: "" },
      },
    },
    // Mastodon's largest upload (video) is 99 MB; Traefik buffers what it accepts, so bound memory too.
    "request-body": { buffering: { maxRequestBodyBytes, memRequestBodyBytes: 2 * 1024 * 1024 } },
  };
}

/** A Traefik rule matching one host (backquotes are Traefik's string syntax). */
export function hostRule(host: pulumi.Input<string>, pathPrefix?: string): pulumi.Output<string> {
  return pathPrefix
    ? pulumi.interpolate`Host(\`${host}\`) && PathPrefix(\`${pathPrefix}\`)`
    : pulumi.interpolate`Host(\`${host}\`)`;
}

export function traefikRoutes(ctx: BuildContext, targets: RouteTargets, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const ingress = config.ingress;
  const webHost = config.webDomain ?? config.domain;
  const middlewares = Object.entries(middlewareSpecs(ingress.maxRequestBodyBytes)).map(([id, spec]) => traefikObject(ctx, id, "Middleware", spec));
  const ref = (id: string) => ({ name: `${name}-${id}`, namespace });

  const routes: Record<string, unknown>[] = [
    {
      kind: "Rule",
      match: hostRule(webHost, STREAMING_PATH),
      priority: 200,
      middlewares: [ref("security-headers")],
      services: [{ name: targets.streamingService, port: STREAMING_PORT }],
    },
    {
      // Uploads: Traefik's buffering middleware also spools responses, so it guards only the methods
      // that carry a body, not the media and pages puma serves.
      kind: "Rule",
      match: pulumi.interpolate`${hostRule(webHost)} && (${UPLOAD_METHODS.map((m) => `Method(\`${m}\`)`).join(" || ")})`,
      priority: 120,
      middlewares: [ref("security-headers"), ref("request-body")],
      services: [{ name: targets.webService, port: WEB_PORT }],
    },
    {
      kind: "Rule",
      match: hostRule(webHost),
      priority: 100,
      middlewares: [ref("security-headers")],
      services: [{ name: targets.webService, port: WEB_PORT }],
    },
  ];
  if (config.webDomain !== undefined) {
    // WebFinger and host-meta are asked of the account domain; Mastodon at the web host answers.
    const wellKnown = traefikObject(ctx, "well-known-redirect", "Middleware", {
      redirectRegex: { regex: "^https?://[^/]+/(.well-known/.*)", replacement: pulumi.interpolate`https://${webHost}/$\{1}`, permanent: true },
    });
    middlewares.push(wellKnown);
    routes.push({
      kind: "Rule",
      match: hostRule(config.domain, "/.well-known/"),
      priority: 150,
      middlewares: [ref("well-known-redirect")],
      services: [{ name: targets.webService, port: WEB_PORT }],
    });
  }
  const hosts = config.webDomain !== undefined ? [webHost, config.domain] : [webHost];

  const https = traefikObject(ctx, "https", "IngressRoute", {
    entryPoints: [ingress.httpsEntryPoint],
    routes,
    tls: { secretName: targets.tlsSecretName },
  }, { dependsOn: [...middlewares, ...dependsOn] });
  const http = traefikObject(ctx, "http-redirect", "IngressRoute", {
    entryPoints: [ingress.httpEntryPoint],
    routes: hosts.map((host) => ({
      kind: "Rule",
      match: hostRule(host),
      // Below cert-manager's HTTP-01 solver, whose rule (Host + path) is longer.
      priority: 1,
      middlewares: [ref("https-redirect")],
      services: [{ name: targets.webService, port: WEB_PORT }],
    })),
  }, { dependsOn: middlewares });
  return { https, http, middlewares };
}

/** Every host name the certificate must cover. */
export function hostNames(ctx: BuildContext): pulumi.Input<string>[] {
  const { config } = ctx;
  return config.webDomain !== undefined ? [config.webDomain, config.domain] : [config.domain];
}

