import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { MastodonPlatform } from "../../provider";
import { runPolicies } from "../../policy/check";
import { RecordedResource, runProgram } from "../harness/mocks";
import { deploy } from "../harness/stack";
import { validArgs } from "./arbitraries";

/** The findings of the policy pack on what a program registered, as `--policy-pack` would report them. */
function findings(resources: RecordedResource[], clusterCidrs?: string[]) {
  return runPolicies(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })), clusterCidrs ? { clusterCidrs } : undefined);
}

describe("the component under its own policy pack", () => {
  it("passes with its defaults", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    assert.deepEqual(findings(stack.resources), []);
  });

  it("passes with a separate cache Redis and external data servers inside the cluster", async () => {
    const { stack } = await deploy({ domain: "social.example", redis: { cache: { enabled: true } } });
    assert.deepEqual(findings(stack.resources), []);
    const external = await deploy({ domain: "social.example", postgresql: { external: { host: "pg.db", password: "x" } }, redis: { external: { host: "10.43.7.1" } } });
    assert.deepEqual(findings(external.stack.resources), []);
  });

  it("passes with backups (copied to a bucket), maintenance, the first admin and metrics on, media in object storage", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      admin: { username: "owner", email: "owner@social.example" },
      metrics: { enabled: true, serviceMonitor: true },
      media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "k", secretAccessKey: "s" } },
      backups: { s3: { bucket: "backups", endpoint: "http://10.43.9.9:9000", accessKeyId: "k", secretAccessKey: "s" } },
    });
    assert.ok(stack.resources.some((r) => r.type === "kubernetes:batch/v1:CronJob" && r.name === "social-backup"));
    assert.ok(stack.resources.some((r) => r.type === "kubernetes:batch/v1:CronJob" && r.name === "social-restore-s3"));
    assert.deepEqual(findings(stack.resources), []);
  });

  it("passes with full-text search on, embedded or external inside the cluster", async () => {
    const { stack } = await deploy({ domain: "social.example", search: { enabled: true } });
    assert.ok(stack.resources.some((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "social-search"));
    assert.ok(stack.resources.some((r) => r.type === "kubernetes:batch/v1:Job" && r.name === "social-search-deploy"));
    assert.deepEqual(findings(stack.resources), []);
    const external = await deploy({ domain: "social.example", search: { enabled: true, external: { host: "10.43.9.9", port: 9201 } } });
    assert.deepEqual(findings(external.stack.resources), []);
  });

  it("passes for any valid args that keep egress inside the cluster", async () => {
    await fc.assert(fc.asyncProperty(validArgs.filter((a) => !a.allowPublicEgress), async (args) => {
      const { stack } = await deploy(args);
      assert.deepEqual(findings(stack.resources, args.clusterCidrs), []);
    }), { numRuns: 10 });
  });

  it("is reported when it opts out with allowPublicEgress", async () => {
    const { stack } = await deploy({ domain: "social.example", allowPublicEgress: true });
    const found = findings(stack.resources);
    assert.ok(found.length > 0);
    for (const f of found) {
      assert.equal(f.policy, "networkpolicy-egress-outside-cluster");
      assert.match(f.resource, /social-public-egress$/);
      assert.equal(f.enforcementLevel, "mandatory");
    }
    assert.ok(found.some((f) => f.message.includes("0.0.0.0/0")));
  });

  it("is reported when its cluster CIDRs are wider than the pack's", async () => {
    // An external server is reached by the cluster's ranges as well as by its Service's namespace.
    const { stack } = await deploy({ domain: "social.example", clusterCidrs: ["10.0.0.0/8"], postgresql: { external: { host: "pg.db", password: "x" } } });
    const found = findings(stack.resources);
    assert.ok(found.some((f) => f.policy === "networkpolicy-egress-outside-cluster" && f.message.includes("10.0.0.0/8")));
    assert.deepEqual(findings(stack.resources, ["10.0.0.0/8"]), []);
  });

  it("passes with a platform whose Traefik reaches an API server inside the pack's ranges", async () => {
    const { resources } = await runProgram(() => new MastodonPlatform("lab", { installTraefik: true, apiServerCidrs: ["10.43.0.1/32"] }));
    assert.deepEqual(findings(resources), []);
    const outside = await runProgram(() => new MastodonPlatform("lab", { installTraefik: true, apiServerCidrs: ["172.18.0.2/32"] }));
    assert.ok(findings(outside.resources).some((f) => f.message.includes("172.18.0.2/32")));
  });
});
