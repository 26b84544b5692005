/**
 * Journey 5, the policy pack enforced by the engine: a stack whose instance opens egress to
 * 0.0.0.0/0 (`allowPublicEgress`) is refused by `pulumi preview --policy-pack policy`, the refusal
 * naming the policy; so is a stack that is not ours (a YAML program with such a NetworkPolicy); the
 * pack's clusterCidrs come from a policy config file.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { PROGRAMS, Stack, kubectlItems, run, tail } from "./harness";
import { POLICY_PACK, newInstanceStack, policyConfigFile } from "./stacks";

describe("live 5: the policy pack refuses egress outside the cluster", function () {
  this.timeout(10 * 60 * 1000);

  it("fails the preview of an instance with public egress, naming the policy", () => {
    const stack = newInstanceStack("open", "open", "open.live.test", { allowPublicEgress: "true" });
    const r = stack.pulumi(["preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(stack.dir)]);
    const out = `${r.stdout}\n${r.stderr}`;
    assert.notEqual(r.status, 0, `the preview passed:\n${tail(r)}`);
    assert.match(out, /networkpolicy-egress-outside-cluster/, `the refusal does not name the policy:\n${tail(r)}`);
    assert.match(out, /0\.0\.0\.0\/0/, `the refusal does not name the range:\n${tail(r)}`);
    assert.match(out, /mandatory/, `the violation is not mandatory:\n${tail(r)}`);
    assert.deepEqual(kubectlItems("namespaces").filter((n) => n.metadata.name.startsWith("open")).map((n) => n.metadata.name), [], "a preview created objects");
  });

  it("fails the preview of a stack that is not ours, naming the policy", () => {
    const stack = new Stack(path.join(PROGRAMS, "open-egress"), "open-egress");
    stack.must(["stack", "init"]);
    const r = stack.pulumi(["preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(stack.dir)]);
    const out = `${r.stdout}\n${r.stderr}`;
    assert.notEqual(r.status, 0, `the preview passed:\n${tail(r)}`);
    assert.match(out, /networkpolicy-egress-outside-cluster/, `the refusal does not name the policy:\n${tail(r)}`);
    assert.equal(run("kubectl", ["get", "networkpolicy", "anywhere", "-n", "default"]).status, 1, "a preview created the NetworkPolicy");
  });
});
