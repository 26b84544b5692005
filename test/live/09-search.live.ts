/**
 * Journey 9, full-text search: `pulumi up --policy-pack policy` of an instance with the embedded search server
 * (`search.enabled`) succeeds; the OpenSearch StatefulSet runs on a claim of its own; the index Job
 * (`tootctl search deploy`) was created only after the post-deployment migration completed, and completed, read
 * from the API server's own timestamps (one-second resolution, so "after" means "not earlier than"); every pod,
 * the search server's and the Job's included, was admitted under the namespace's `restricted` Pod Security level.
 */
import * as assert from "node:assert/strict";
import { at, kubectlItems, kubectlJson, run } from "./harness";
import { deployWithPack, newInstanceStack } from "./stacks";

const SEARCH = { stack: "search", instance: "fts", domain: "fts.live.test" };

/** The instance's Jobs of one component, newest first. */
function jobsOf(namespace: string, component: string): any[] {
  return kubectlItems("jobs", namespace, `app.kubernetes.io/instance=${SEARCH.instance},app.kubernetes.io/component=${component}`)
    .sort((a, b) => at(b.metadata.creationTimestamp, "job") - at(a.metadata.creationTimestamp, "job"));
}

describe("live 9: an instance with embedded full-text search", function () {
  this.timeout(20 * 60 * 1000);
  let namespace: string;

  before(() => {
    const stack = newInstanceStack(SEARCH.stack, SEARCH.instance, SEARCH.domain, { search: "true" });
    namespace = deployWithPack(stack, SEARCH.stack);
  });

  it("runs the search server as a ready StatefulSet whose index is on a claim of its own", () => {
    const name = `${SEARCH.instance}-search`;
    const server = kubectlJson(["get", "statefulset", name, "-n", namespace]);
    assert.equal(server.status.readyReplicas, 1, `StatefulSet ${name} is not ready: ${JSON.stringify(server.status)}`);
    assert.match(server.spec.template.spec.containers[0].image, /^docker\.io\/opensearchproject\/opensearch:2\./);
    assert.equal(server.spec.volumeClaimTemplates, undefined);
    const claim = server.spec.template.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
    assert.equal(claim, `${name}-data`);
    assert.equal(run("kubectl", ["get", "persistentvolumeclaim", claim, "-n", namespace, "-o", "name"]).status, 0, `claim ${claim} does not exist`);
    for (const policy of [name, `${name}-clients`]) {
      assert.equal(run("kubectl", ["get", "networkpolicy", policy, "-n", namespace, "-o", "name"]).status, 0, `NetworkPolicy ${policy} does not exist`);
    }
  });

  it("creates the index Job only after the post-deployment migration completed, and it completes", () => {
    const [post] = jobsOf(namespace, "db-migrate").filter((j) => j.metadata.name.startsWith(`${SEARCH.instance}-db-migrate-post-`));
    assert.ok(post, "no post-deployment migration Job");
    const migrated = at(post.status.completionTime, `Job ${post.metadata.name} completion`);
    const [index] = jobsOf(namespace, "search-deploy");
    assert.ok(index, "no search index Job");
    assert.deepEqual(index.spec.template.spec.containers[0].command.slice(0, 3), ["tootctl", "search", "deploy"]);
    const created = at(index.metadata.creationTimestamp, `Job ${index.metadata.name}`);
    assert.ok(migrated <= created, `Job ${index.metadata.name} was created at ${index.metadata.creationTimestamp}, before Job ${post.metadata.name} completed at ${post.status.completionTime}`);
    assert.ok(index.status.succeeded >= 1, `Job ${index.metadata.name} did not succeed: ${JSON.stringify(index.status)}`);
    assert.ok(at(index.status.completionTime, `Job ${index.metadata.name} completion`) >= created);
  });

  it("runs the search server's and the index Job's pods under the namespace's restricted Pod Security level", () => {
    const ns = kubectlJson(["get", "namespace", namespace]);
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted", `namespace ${namespace}'s enforce label`);
    const pods = kubectlItems("pods", namespace);
    const component = (c: string) => pods.filter((p) => p.metadata.labels?.["app.kubernetes.io/component"] === c);
    assert.equal(component("search").length, 1, "the search server's pod");
    assert.ok(component("search-deploy").length >= 1, "the index Job's pod");
    const notRunning = pods.filter((p) => !["Running", "Succeeded"].includes(p.status.phase)).map((p) => `${p.metadata.name}: ${p.status.phase}`);
    assert.deepEqual(notRunning, [], "pods not running");
    const events = kubectlItems("events", namespace).filter((e) => /violates PodSecurity/.test(e.message ?? ""));
    assert.deepEqual(events.map((e) => e.message), [], "PodSecurity refusals");
  });
});
