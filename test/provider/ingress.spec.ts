import * as assert from "node:assert/strict";
import { HSTS_SECONDS } from "../../provider/ingress";
import { KIND, Stack, deploy } from "../harness/stack";

describe("Traefik routes", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example" }));
  });
  const https = () => stack.get(KIND.IngressRoute, "social-https").inputs.spec;

  it("sends /api/v1/streaming to streaming on 4000, ahead of the rest", () => {
    const [streaming, web] = https().routes;
    assert.equal(streaming.match, "Host(`social.example`) && PathPrefix(`/api/v1/streaming`)");
    assert.deepEqual(streaming.services, [{ name: "social-streaming", port: 4000 }]);
    assert.ok(streaming.priority > web.priority);
  });

  it("sends everything else on the host to web on 3000, unbuffered", () => {
    const web = https().routes.find((r: any) => r.match === "Host(`social.example`)");
    assert.deepEqual(web.services, [{ name: "social-web", port: 3000 }]);
    assert.deepEqual(web.middlewares.map((m: any) => m.name), ["social-security-headers"]);
  });

  it("limits request bodies on the methods that carry one, above the catch-all route and below streaming", () => {
    const [streaming, uploads, web] = https().routes;
    assert.equal(uploads.match, "Host(`social.example`) && (Method(`POST`) || Method(`PUT`) || Method(`PATCH`))");
    assert.deepEqual(uploads.services, [{ name: "social-web", port: 3000 }]);
    assert.ok(uploads.middlewares.some((m: any) => m.name === "social-request-body"));
    assert.ok(streaming.priority > uploads.priority && uploads.priority > web.priority);
    // Buffering would hold back WebSocket and server-sent event streams.
    assert.ok(!streaming.middlewares.some((m: any) => m.name === "social-request-body"), "the streaming route is buffered");
  });

  it("serves HTTPS on the websecure entry point with the instance's certificate", () => {
    assert.deepEqual(https().entryPoints, ["websecure"]);
    assert.equal(https().tls.secretName, "social-tls");
    const route = stack.get(KIND.IngressRoute, "social-https");
    assert.ok(stack.dependsOn(route, stack.get(KIND.Certificate, "social-tls")));
  });

  it("redirects HTTP to HTTPS, below cert-manager's HTTP-01 solver", () => {
    const http = stack.get(KIND.IngressRoute, "social-http-redirect").inputs.spec;
    assert.deepEqual(http.entryPoints, ["web"]);
    assert.deepEqual(http.routes[0].middlewares, [{ name: "social-https-redirect", namespace: "social" }]);
    assert.equal(http.routes[0].priority, 1);
    const redirect = stack.get(KIND.Middleware, "social-https-redirect").inputs.spec;
    assert.deepEqual(redirect.redirectScheme, { scheme: "https", permanent: true });
  });

  it("sets HSTS and security headers on every HTTPS route", () => {
    for (const route of https().routes) assert.ok(route.middlewares.some((m: any) => m.name === "social-security-headers"));
    const headers = stack.get(KIND.Middleware, "social-security-headers").inputs.spec.headers;
    assert.equal(headers.stsSeconds, HSTS_SECONDS);
    assert.equal(headers.contentTypeNosniff, true);
  });

  it("accepts request bodies as large as Mastodon's largest upload", () => {
    const web = https().routes[1];
    assert.ok(web.middlewares.some((m: any) => m.name === "social-request-body"));
    const buffering = stack.get(KIND.Middleware, "social-request-body").inputs.spec.buffering;
    assert.ok(buffering.maxRequestBodyBytes >= 99 * 1000 * 1000);
  });

  it("uses the entry points and body limit given", async () => {
    const { stack: s } = await deploy({ domain: "social.example", ingress: { httpsEntryPoint: "https", httpEntryPoint: "http", maxRequestBodyBytes: 200 * 1024 * 1024 } });
    assert.deepEqual(s.get(KIND.IngressRoute, "social-https").inputs.spec.entryPoints, ["https"]);
    assert.deepEqual(s.get(KIND.IngressRoute, "social-http-redirect").inputs.spec.entryPoints, ["http"]);
    assert.equal(s.get(KIND.Middleware, "social-request-body").inputs.spec.buffering.maxRequestBodyBytes, 200 * 1024 * 1024);
  });

  it("serves the web host and redirects WebFinger from the account domain when they differ", async () => {
    const { stack: s } = await deploy({ domain: "social.example", webDomain: "mastodon.social.example" });
    const routes = s.get(KIND.IngressRoute, "social-https").inputs.spec.routes;
    const matches = routes.map((r: any) => r.match);
    assert.ok(matches.includes("Host(`mastodon.social.example`)"), matches.join("\n"));
    assert.ok(matches.includes("Host(`social.example`) && PathPrefix(`/.well-known/`)"), matches.join("\n"));
    const redirect = s.get(KIND.Middleware, "social-well-known-redirect").inputs.spec.redirectRegex;
    assert.equal(redirect.replacement, "https://mastodon.social.example/${1}");
  });
});
