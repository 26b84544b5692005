/**
 * Journey 8, destroy as README documents (`pulumi destroy --exclude-protected`): the workloads go,
 * the protected data claims and the namespace stay.
 */
import * as assert from "node:assert/strict";
import { kubectlItems, run, tail } from "./harness";
import { FIRST } from "./01-first-deploy.live";
import { stackOf, uids } from "./stacks";

describe("live 8: destroy keeps the protected data", function () {
  this.timeout(15 * 60 * 1000);

  it("removes the workloads and leaves the data claims and the namespace", () => {
    const stack = stackOf(FIRST.stack);
    const namespace = stack.outputs().namespace;
    const claims = uids("persistentvolumeclaims", namespace);
    assert.ok(claims.size >= 2, `expected data claims in ${namespace}`);
    const r = stack.pulumi(["destroy", "--yes", "--skip-preview", "--exclude-protected"]);
    if (r.status !== 0) throw new Error(`pulumi destroy --exclude-protected failed:\n${tail(r, 80)}`);
    for (const kind of ["deployments", "statefulsets", "jobs", "services", "networkpolicies"]) {
      const left = kubectlItems(kind, namespace).filter((o) => !o.metadata.deletionTimestamp).map((o) => o.metadata.name);
      assert.deepEqual(left, [], `${kind} left in ${namespace}`);
    }
    assert.equal(run("kubectl", ["get", "namespace", namespace]).status, 0, `namespace ${namespace} was deleted`);
    assert.deepEqual(uids("persistentvolumeclaims", namespace), claims, "data claims were deleted or replaced");
  });
});
