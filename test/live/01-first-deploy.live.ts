/**
 * Journey 1, first deploy: `pulumi up --policy-pack policy` of one instance succeeds; every object
 * of the stack exists in the cluster; every pod was admitted under the namespace's `restricted`
 * Pod Security level; and the order Mastodon requires, read from the API server's own timestamps
 * (one-second resolution, so "before" means "not later than"): the pre-deployment migration Job
 * completed before any Mastodon Deployment existed, and the post-deployment Job was created only
 * after every Deployment was rolled out.
 */
import * as assert from "node:assert/strict";
import { at, kubectlItems, kubectlJson, run } from "./harness";
import { deployWithPack, newInstanceStack, stackOf } from "./stacks";

export const FIRST = { stack: "first", instance: "social", domain: "social.live.test" };

/** kubernetes:<group>/<version>:<Kind> → what kubectl calls the kind ("Deployment.v1.apps"); a Patch resource → its kind. */
export function kubectlKind(type: string): string {
  const [, groupVersion, resourceType] = type.split(":");
  const kind = resourceType.replace(/Patch$/, "");
  const [group, version] = groupVersion.split("/");
  return group === "core" ? kind : `${kind}.${version}.${group}`;
}

/** Mastodon's own Deployments (web, streaming, sidekiq) of an instance. */
export function mastodonDeployments(namespace: string, instance: string): any[] {
  return kubectlItems("deployments", namespace, `app.kubernetes.io/instance=${instance}`).filter((d) =>
    ["web", "streaming", "sidekiq"].includes(d.metadata.labels["app.kubernetes.io/component"]),
  );
}

/** The instance's migration Jobs of one step (pre or post), newest first. */
export function migrationJobs(namespace: string, instance: string, step: "pre" | "post"): any[] {
  return kubectlItems("jobs", namespace, `app.kubernetes.io/instance=${instance},app.kubernetes.io/component=db-migrate`)
    .filter((j) => j.metadata.name.startsWith(`${instance}-db-migrate-${step}-`))
    .sort((a, b) => at(b.metadata.creationTimestamp, "job") - at(a.metadata.creationTimestamp, "job"));
}

/** When a Deployment's current rollout completed: its Progressing condition's NewReplicaSetAvailable. */
export function rolledOutAt(d: any): number {
  const progressing = (d.status?.conditions ?? []).find((c: any) => c.type === "Progressing");
  assert.equal(progressing?.reason, "NewReplicaSetAvailable", `Deployment ${d.metadata.name} is not rolled out: ${JSON.stringify(d.status?.conditions)}`);
  return at(progressing.lastUpdateTime, `Deployment ${d.metadata.name} rollout`);
}

describe("live 1: first deploy of one instance with the policy pack", function () {
  this.timeout(20 * 60 * 1000);
  let namespace: string;

  before(() => {
    const stack = newInstanceStack(FIRST.stack, FIRST.instance, FIRST.domain);
    namespace = deployWithPack(stack, FIRST.stack);
  });

  it("creates every Kubernetes object of the stack", () => {
    const missing: string[] = [];
    for (const r of stackOf(FIRST.stack).resources()) {
      if (!r.custom || !String(r.type).startsWith("kubernetes:") || r.type.startsWith("pulumi:providers")) continue;
      const name = r.outputs?.metadata?.name;
      const ns = r.outputs?.metadata?.namespace;
      const got = run("kubectl", ["get", kubectlKind(r.type), name, ...(ns ? ["-n", ns] : []), "-o", "name"]);
      if (got.status !== 0) missing.push(`${r.type} ${ns ? `${ns}/` : ""}${name}`);
    }
    assert.deepEqual(missing, [], `objects in the stack's state but not in the cluster`);
  });

  it("runs every pod under the namespace's restricted Pod Security level", () => {
    const ns = kubectlJson(["get", "namespace", namespace]);
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted", `namespace ${namespace}'s enforce label`);
    const pods = kubectlItems("pods", namespace);
    assert.ok(pods.length >= 5, `expected the instance's pods in ${namespace}, found ${pods.length}`);
    // The API server admitted each of them under that label; none is left pending or failed.
    const notRunning = pods
      .filter((p) => !["Running", "Succeeded"].includes(p.status.phase))
      .map((p) => `${p.metadata.name}: ${p.status.phase}`);
    assert.deepEqual(notRunning, [], "pods not running");
    const events = kubectlItems("events", namespace).filter((e) => /violates PodSecurity/.test(e.message ?? ""));
    assert.deepEqual(events.map((e) => e.message), [], "PodSecurity refusals");
  });

  it("completes the pre-deployment migration before any Mastodon Deployment exists", () => {
    const [pre] = migrationJobs(namespace, FIRST.instance, "pre");
    assert.ok(pre, "no pre-deployment migration Job");
    const completed = at(pre.status.completionTime, `Job ${pre.metadata.name} completion`);
    const deployments = mastodonDeployments(namespace, FIRST.instance);
    assert.equal(deployments.length, 3, "web, streaming and sidekiq Deployments");
    for (const d of deployments) {
      const created = at(d.metadata.creationTimestamp, `Deployment ${d.metadata.name}`);
      assert.ok(completed <= created, `Deployment ${d.metadata.name} was created at ${d.metadata.creationTimestamp}, before Job ${pre.metadata.name} completed at ${pre.status.completionTime}`);
    }
  });

  it("creates the post-deployment migration only after every Deployment is rolled out", () => {
    const [post] = migrationJobs(namespace, FIRST.instance, "post");
    assert.ok(post, "no post-deployment migration Job");
    assert.ok(post.status.succeeded >= 1, `Job ${post.metadata.name} did not succeed`);
    const created = at(post.metadata.creationTimestamp, `Job ${post.metadata.name}`);
    for (const d of mastodonDeployments(namespace, FIRST.instance)) {
      const done = rolledOutAt(d);
      assert.ok(done <= created, `Job ${post.metadata.name} was created at ${post.metadata.creationTimestamp}, before Deployment ${d.metadata.name} finished rolling out`);
    }
  });
});
