/**
 * The footprint benchmark (bench/footprint.ts) counts what full-text search adds when it is on: the mock runtime's
 * record of one instance, measured by the benchmark's own rule.
 */
import * as assert from "node:assert/strict";
import { CRON_JOB, Workload, cronJobOverlap, footprint, scheduledRuns } from "../../bench/footprint";
import { Stack, deploy } from "../harness/stack";

const workloads = (stack: Stack): Workload[] => stack.workloads().map((r) => ({ type: r.type, name: r.name, spec: r.inputs.spec }));

describe("the footprint benchmark", () => {
  it("counts the search server in the steady state and its index Job in the peak when search is on, and nothing of it when off", async () => {
    const off = footprint(workloads((await deploy({ domain: "social.example" })).stack));
    const on = footprint(workloads((await deploy({ domain: "social.example", search: { enabled: true } })).stack));
    assert.equal(on.steady.memoryRequests - off.steady.memoryRequests, 1024 ** 3);
    assert.equal(Math.round((on.steady.cpuRequests - off.steady.cpuRequests) * 1000), 100);
    // The index Job is no larger than a migration Job: the peak above the steady state stays the same.
    assert.equal(on.migration.memoryRequests - on.steady.memoryRequests, off.migration.memoryRequests - off.steady.memoryRequests);
    assert.ok(off.migration.memoryRequests <= 2 * 1024 ** 3);
  });

  it("counts a backup and a cleanup run at once within 2 GiB with the steady state, the two cleanups never on one day", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    const runs = scheduledRuns(stack.ofType(CRON_JOB));
    assert.deepEqual(runs.map((r) => r.name).sort(), ["social-backup", "social-media-remove", "social-preview-cards"], "the restore template is not a run");
    const overlap = cronJobOverlap(runs);
    assert.equal(overlap.memoryRequests, (64 + 400) * 1024 ** 2, "the backup (64 MiB) and a cleanup with its CA-bundle init container (400 MiB)");
    assert.ok(footprint(workloads(stack)).steady.memoryRequests + overlap.memoryRequests <= 2 * 1024 ** 3);
    const day = (name: string) => stack.get(CRON_JOB, name).inputs.spec.schedule.split(/\s+/)[4];
    assert.notEqual(day("social-media-remove"), day("social-preview-cards"));
  });
});
