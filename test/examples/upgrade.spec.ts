/**
 * examples/upgrade: the program runs on the mock runtime with and without a `version` in stack
 * config, and plan.ts reports what a version change does: new migration Jobs, rolled-out
 * Deployments, and nothing stateful touched.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { SECRET, UpgradePlan, diffResources, evaluateProgram, fieldChanges, formatPlan, forcesReplacement, upgradePlan, upgradeWarnings } from "../../examples/upgrade/plan";
import { runPolicies } from "../../policy/check";
import { MastodonCluster } from "../../provider";
import { DEFAULT_VERSION } from "../../provider/versions";
import { runProgram } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack } from "../harness/stack";

const README = path.join(__dirname, "../../examples/upgrade/README.md");
const changed = (plan: UpgradePlan, action: string) => plan.changes.filter((c) => c.action === action).map((c) => `${c.type} ${c.name}`).sort();

describe("examples/upgrade", () => {
  it("runs unconfigured, deploying the component's default version", async () => {
    const stack = new Stack(await evaluateProgram({}));
    assert.equal(stack.get(KIND.Deployment, "social-web").inputs.spec.template.spec.containers[0].image, `ghcr.io/mastodon/mastodon:${DEFAULT_VERSION}`);
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.LOCAL_DOMAIN, "social.example");
  });

  it("deploys the version in stack config, with schema-valid objects that pass the policy pack", async () => {
    const resources = await evaluateProgram({ version: "v4.5.2", domain: "social.lab" });
    const stack = new Stack(resources);
    assert.equal(stack.get(KIND.Deployment, "social-web").inputs.spec.template.spec.containers[0].image, "ghcr.io/mastodon/mastodon:v4.5.2");
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.LOCAL_DOMAIN, "social.lab");
    assert.deepEqual(await schemaErrors(resources), []);
    assert.deepEqual(runPolicies(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }))), []);
  });
});

describe("examples/upgrade/plan.ts", () => {
  let plan: UpgradePlan;
  before(async () => {
    plan = await upgradePlan("v4.5.2", "v4.6.6");
  });

  it("replaces exactly the two migration Jobs, whose (immutable) pod templates carry the new image", () => {
    assert.deepEqual(changed(plan, "replace"), ["kubernetes:batch/v1:Job social-db-migrate-post", "kubernetes:batch/v1:Job social-db-migrate-pre"]);
    for (const job of plan.changes.filter((c) => c.action === "replace")) {
      assert.ok(job.replacedBecause.some((p) => p.startsWith("spec.template")), `${job.name}: ${job.replacedBecause.join(", ")}`);
      const image = job.fields.find((f) => f.path === "spec.template.spec.containers[0].image")!;
      assert.equal(image.before, "ghcr.io/mastodon/mastodon:v4.5.2");
      assert.equal(image.after, "ghcr.io/mastodon/mastodon:v4.6.6");
    }
  });

  it("updates exactly the web, streaming and sidekiq Deployments and the maintenance CronJobs, with the new images, and the record of the version", () => {
    assert.deepEqual(changed(plan, "update"), [
      "kubernetes:apps/v1:Deployment social-sidekiq-default",
      "kubernetes:apps/v1:Deployment social-streaming",
      "kubernetes:apps/v1:Deployment social-web",
      "kubernetes:batch/v1:CronJob social-media-remove",
      "kubernetes:batch/v1:CronJob social-preview-cards",
      "kubernetes:core/v1:ConfigMapPatch social-versions",
    ]);
    const record = plan.changes.find((c) => c.type === "kubernetes:core/v1:ConfigMapPatch")!;
    assert.deepEqual(record.fields.map((f) => [f.before, f.after]), [["v4.5.2", "v4.6.6"]]);
    const web = plan.changes.find((c) => c.name === "social-web")!;
    assert.deepEqual(web.fields.find((f) => f.path === "spec.template.spec.containers[0].image"), {
      path: "spec.template.spec.containers[0].image", before: "ghcr.io/mastodon/mastodon:v4.5.2", after: "ghcr.io/mastodon/mastodon:v4.6.6",
    });
    assert.equal(changed(plan, "create").length + changed(plan, "delete").length, 0);
  });

  it("touches no volume, data server, secret or generated key", () => {
    const stateful = /PersistentVolumeClaim|StatefulSet|:Secret$|^random:|^tls:|:Namespace$/;
    assert.deepEqual(plan.changes.filter((c) => stateful.test(c.type)), []);
    const kept = plan.unchangedStateful.map((r) => r.type);
    for (const type of [KIND.PersistentVolumeClaim, KIND.StatefulSet, KIND.Secret, "random:index/randomBytes:RandomBytes", "random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"]) {
      assert.ok(kept.includes(type), `no unchanged ${type} listed`);
    }
    // PostgreSQL's, Redis's, the media's and the backups'.
    assert.equal(plan.unchangedStateful.filter((r) => r.type === KIND.PersistentVolumeClaim).length, 4);
  });

  it("plans nothing when the version does not change", async () => {
    const same = await upgradePlan("v4.6.6", "v4.6.6");
    assert.deepEqual(same.changes, []);
  });

  it("warns when a minor series is skipped or the version goes back", () => {
    assert.deepEqual(upgradeWarnings("v4.5.2", "v4.6.6"), []);
    assert.match(upgradeWarnings("v4.4.3", "v4.6.6")[0], /skips 4\.5: .*\(4\.4 → 4\.5 → 4\.6\)/);
    assert.match(upgradeWarnings("v4.6.6", "v4.5.2")[0], /does not support downgrades/);
  });

  it("classifies fields as the Kubernetes provider does", () => {
    assert.ok(forcesReplacement(KIND.Job, "spec.template.spec.containers[0].image"));
    assert.ok(forcesReplacement(KIND.Deployment, "metadata.name"));
    assert.ok(!forcesReplacement(KIND.Deployment, "spec.template.spec.containers[0].image"));
    assert.ok(!forcesReplacement(KIND.PersistentVolumeClaim, "spec.resources.requests.storage"));
    assert.ok(forcesReplacement(KIND.PersistentVolumeClaim, "spec.storageClassName"));
    assert.ok(forcesReplacement(KIND.Secret, "stringData.OTP_SECRET"));
    assert.ok(forcesReplacement("random:index/randomPassword:RandomPassword", "length"));
    const r = (inputs: any) => ({ urn: "u", type: KIND.Deployment, name: "d", custom: true, inputs, secretInputPaths: [] } as any);
    assert.deepEqual(diffResources([r({ spec: { replicas: 1 } })], [r({ spec: { replicas: 2 } })]).changes, [
      { action: "update", type: KIND.Deployment, name: "d", fields: [{ path: "spec.replicas", before: 1, after: 2 }], replacedBecause: [] },
    ]);
  });

  it("never prints a secret: values sent as secrets and every Secret's data are masked", async () => {
    const program = (secretKeyBase: string) => async () =>
      (await runProgram(() => new MastodonCluster("social", { domain: "social.example", secrets: { secretKeyBase } }))).resources;
    const rotated = diffResources(await program("a".repeat(128))(), await program("b".repeat(128))());
    const env = rotated.changes.find((c) => c.type === KIND.Secret && c.name === "social-env")!;
    assert.deepEqual(env.fields, [{ path: "stringData.SECRET_KEY_BASE", before: SECRET, after: SECRET }]);
    assert.ok(!JSON.stringify(rotated).includes("a".repeat(128)), "the old secret is printed");
    assert.deepEqual(fieldChanges("x:y:Z", { a: "1", b: "2" }, { a: "3", b: "4" }, ["b"]), [
      { path: "a", before: "1", after: "3" },
      { path: "b", before: SECRET, after: SECRET },
    ]);
  });

  it("is what examples/upgrade/README.md shows (regenerate: npx ts-node --transpile-only examples/upgrade/plan.ts v4.5.2 v4.6.6)", () => {
    assert.ok(fs.readFileSync(README, "utf8").includes(formatPlan(plan).trimEnd()), "the README's pasted plan output is stale");
  });
});
