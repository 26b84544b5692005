import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { parseArgs } from "../../provider/args";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, deploy } from "../harness/stack";
import { validArgs } from "./arbitraries";

/** Runs each generated case through the mock runtime: kept small, each deployment takes a moment. */
const RUNS = 25;

describe("any valid args", () => {
  it("are accepted by the validation", () => {
    fc.assert(fc.property(validArgs, (args) => {
      parseArgs("social", args);
    }), { numRuns: 300 });
  });

  it("produce schema-valid objects, Mastodon's order, isolation and retained data", async () => {
    await fc.assert(fc.asyncProperty(validArgs, async (args) => {
      const { stack } = await deploy(args);
      assert.deepEqual(await schemaErrors(stack.resources), []);
      checkInvariants(stack);
    }), { numRuns: RUNS });
  });
});

function checkInvariants(stack: Stack) {
  const pre = stack.get(KIND.Job, "social-db-migrate-pre");
  const post = stack.get(KIND.Job, "social-db-migrate-post");
  const deployments = stack.ofType(KIND.Deployment);
  for (const d of deployments) {
    assert.ok(stack.dependsOn(d, pre), `${d.name} does not wait for the pre-deployment migration`);
    assert.ok(stack.dependsOn(post, d), `the post-deployment migration does not wait for ${d.name}`);
  }
  // The data tier, not the search server: Mastodon runs without it, and only the search index Job waits for it.
  for (const s of stack.ofType(KIND.StatefulSet).filter((s) => s.name !== "social-search")) {
    assert.ok(stack.dependsOn(pre, s), `the pre-deployment migration does not wait for ${s.name}`);
  }
  const index = stack.find(KIND.Job, "social-search-deploy");
  if (index) assert.ok(stack.dependsOn(index, post), "the search index Job does not wait for the post-deployment migration");

  const deny = stack.get(KIND.NetworkPolicy, "social-default-deny").inputs.spec.podSelector.matchLabels;
  for (const w of stack.workloads()) {
    const labels = w.inputs.spec.template.metadata.labels;
    assert.ok(Object.entries(deny).every(([k, v]) => labels[k] === v), `${w.name} escapes the default deny`);
  }
  for (const claim of stack.ofType(KIND.PersistentVolumeClaim)) assert.ok(claim.retainOnDelete, `${claim.name} is not retained`);

  // Every queue of the version is served, the scheduler by exactly one pod.
  const served = deployments.filter((d) => d.name.startsWith("social-sidekiq-")).flatMap((d) => {
    const command: string[] = d.inputs.spec.template.spec.containers[0].command;
    return command.flatMap((arg, i) => (command[i - 1] === "-q" ? [{ queue: arg.split(",")[0], replicas: d.inputs.spec.replicas }] : []));
  });
  const schedulers = served.filter((s) => s.queue === "scheduler");
  assert.equal(schedulers.length, 1);
  assert.equal(schedulers[0].replicas, 1);
}
