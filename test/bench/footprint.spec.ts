/**
 * The footprint benchmark (bench/footprint.ts) counts what full-text search adds when it is on: the mock runtime's
 * record of one instance, measured by the benchmark's own rule.
 */
import * as assert from "node:assert/strict";
import { Workload, footprint } from "../../bench/footprint";
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
});
