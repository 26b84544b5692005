/**
 * Journey 4, upgrade: an instance of the previous minor series moves to the default version.
 * `pulumi preview --diff` shows the migration Jobs replaced, the Deployments updated, and nothing
 * of the data tier or the secrets changing; `pulumi up` completes; the UIDs of every
 * PersistentVolumeClaim and Secret are unchanged.
 */
import * as assert from "node:assert/strict";
import { DEFAULT_VERSION } from "../../provider/versions";
import { tail } from "./harness";
import { mastodonDeployments, migrationJobs } from "./01-first-deploy.live";
import { PREVIOUS_VERSION, markFailed, newInstanceStack, stackOf, uids, upWithPack } from "./stacks";

const UPGRADE = { stack: "upgrade", instance: "upgraded", domain: "upgraded.live.test" };

/** The steps of `pulumi preview --json`, as "op type name". */
function plannedSteps(json: string): { op: string; type: string; name: string }[] {
  const steps = JSON.parse(json).steps ?? [];
  return steps.map((s: any) => ({ op: s.op, type: s.urn.split("::")[2].split("$").pop(), name: s.urn.split("::")[3] }));
}

describe(`live 4: upgrade from ${PREVIOUS_VERSION} to the default version`, function () {
  this.timeout(25 * 60 * 1000);
  let namespace: string;
  let pvcs: Map<string, string>;
  let secrets: Map<string, string>;

  before(() => {
    const stack = newInstanceStack(UPGRADE.stack, UPGRADE.instance, UPGRADE.domain, { version: PREVIOUS_VERSION });
    const up = upWithPack(stack);
    if (up.status !== 0) {
      markFailed(UPGRADE.stack, `pulumi up at ${PREVIOUS_VERSION} failed`);
      throw new Error(`pulumi up at ${PREVIOUS_VERSION} failed:\n${tail(up, 80)}`);
    }
    namespace = stack.outputs().namespace;
    pvcs = uids("persistentvolumeclaims", namespace);
    secrets = uids("secrets", namespace);
    assert.ok(pvcs.size >= 2, `expected the data claims in ${namespace}, found ${[...pvcs.keys()]}`);
  });

  it("previews replaced migration Jobs, updated Deployments, and no change to data or secrets", () => {
    const stack = stackOf(UPGRADE.stack);
    stack.must(["config", "rm", "version"]);
    const text = stack.must(["preview", "--diff"]);
    const json = stack.must(["preview", "--json"]);
    const steps = plannedSteps(json.stdout).filter((s) => s.op !== "same");
    const by = (type: string) => steps.filter((s) => s.type === type);
    const jobs = by("kubernetes:batch/v1:Job");
    assert.ok(jobs.some((s) => /db-migrate-pre/.test(s.name) && /replace/.test(s.op)), `pre-deployment Job not replaced: ${JSON.stringify(jobs)}`);
    assert.ok(jobs.some((s) => /db-migrate-post/.test(s.name) && /replace/.test(s.op)), `post-deployment Job not replaced: ${JSON.stringify(jobs)}`);
    const deployments = by("kubernetes:apps/v1:Deployment");
    assert.deepEqual(deployments.map((s) => s.op).sort(), ["update", "update", "update"], `Deployments: ${JSON.stringify(deployments)}`);
    const untouchable = steps.filter((s) =>
      ["kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:Secret", "kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Namespace"].includes(s.type),
    );
    assert.deepEqual(untouchable, [], `the data tier or the secrets would change:\n${text.stdout.slice(-4000)}`);
  });

  it("completes pulumi up and keeps every claim and Secret", () => {
    const stack = stackOf(UPGRADE.stack);
    const up = upWithPack(stack);
    if (up.status !== 0) throw new Error(`pulumi up to the default version failed:\n${tail(up, 80)}`);
    assert.equal(stack.outputs().version, DEFAULT_VERSION, "the stack's version output");
    assert.deepEqual(uids("persistentvolumeclaims", namespace), pvcs, "PersistentVolumeClaim UIDs changed");
    const now = uids("secrets", namespace);
    for (const [name, uid] of secrets) assert.equal(now.get(name), uid, `Secret ${name} was replaced or deleted`);
    const [pre] = migrationJobs(namespace, UPGRADE.instance, "pre");
    const [post] = migrationJobs(namespace, UPGRADE.instance, "post");
    for (const d of mastodonDeployments(namespace, UPGRADE.instance)) {
      assert.doesNotMatch(d.spec.template.spec.containers[0].image, new RegExp(`:${PREVIOUS_VERSION}$`), `Deployment ${d.metadata.name} still runs ${PREVIOUS_VERSION}`);
    }
    assert.doesNotMatch(pre.spec.template.spec.containers[0].image, new RegExp(`:${PREVIOUS_VERSION}$`), "the newest pre-deployment Job runs the new image");
    assert.ok(post.status.succeeded >= 1, `post-deployment Job ${post.metadata.name} did not succeed`);
  });
});
