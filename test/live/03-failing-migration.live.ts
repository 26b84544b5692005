/**
 * Journey 3, a failing migration: an image whose migration fails (kwok fails the pods of Jobs that
 * run a repository named `.../failing-migration`, see kwok-stages.yaml) makes `pulumi up` fail at
 * the pre-deployment Job, and no Deployment changes; once the image is back, the next `pulumi up`
 * succeeds.
 */
import * as assert from "node:assert/strict";
import { tail } from "./harness";
import { FIRST, mastodonDeployments, migrationJobs } from "./01-first-deploy.live";
import { stackOf, upWithPack } from "./stacks";

const FAILING_REPOSITORY = "registry.live.test/mastodon/failing-migration";

describe("live 3: a failing pre-deployment migration stops the update", function () {
  this.timeout(20 * 60 * 1000);

  it("fails at the pre-deployment Job and leaves every Deployment as it was", () => {
    const stack = stackOf(FIRST.stack);
    const namespace = stack.outputs().namespace;
    const before = new Map(mastodonDeployments(namespace, FIRST.instance).map((d) => [d.metadata.name, d.metadata.generation]));
    stack.setConfig({ imageRepository: FAILING_REPOSITORY });
    const up = upWithPack(stack);
    assert.notEqual(up.status, 0, `pulumi up succeeded although the migration fails:\n${tail(up)}`);
    const [pre] = migrationJobs(namespace, FIRST.instance, "pre");
    assert.match(pre.spec.template.spec.containers[0].image, /failing-migration/, `newest pre-deployment Job ${pre.metadata.name}`);
    assert.ok((pre.status.conditions ?? []).some((c: any) => c.type === "Failed" && c.status === "True"), `Job ${pre.metadata.name} is not Failed`);
    assert.match(`${up.stdout}\n${up.stderr}`, new RegExp(`db-migrate-pre`), "pulumi up's error names the pre-deployment migration");
    const after = new Map(mastodonDeployments(namespace, FIRST.instance).map((d) => [d.metadata.name, d.metadata.generation]));
    assert.deepEqual(after, before, "Deployment generations changed although the migration failed");
    for (const d of mastodonDeployments(namespace, FIRST.instance)) {
      for (const c of d.spec.template.spec.containers) assert.doesNotMatch(c.image, /failing-migration/, `Deployment ${d.metadata.name}`);
    }
  });

  it("succeeds on the next pulumi up once the cause is removed", () => {
    const stack = stackOf(FIRST.stack);
    stack.must(["config", "rm", "imageRepository"]);
    const up = upWithPack(stack);
    if (up.status !== 0) throw new Error(`pulumi up after restoring the image failed:\n${tail(up, 80)}`);
    const namespace = stack.outputs().namespace;
    const [pre] = migrationJobs(namespace, FIRST.instance, "pre");
    assert.ok(pre.status.succeeded >= 1, `pre-deployment Job ${pre.metadata.name} did not succeed`);
  });
});
