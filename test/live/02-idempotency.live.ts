/**
 * Journey 2, idempotency: right after the first deploy, `pulumi preview --diff --expect-no-changes`
 * passes (no perpetual diff), and so does the same preview after a `pulumi refresh`.
 */
import { tail } from "./harness";
import { FIRST } from "./01-first-deploy.live";
import { stackOf } from "./stacks";

describe("live 2: a deployed instance shows no changes", function () {
  this.timeout(15 * 60 * 1000);

  it("previews no change right after pulumi up", () => {
    const r = stackOf(FIRST.stack).pulumi(["preview", "--diff", "--expect-no-changes"]);
    if (r.status !== 0) throw new Error(`pulumi preview --diff --expect-no-changes found changes:\n${tail(r, 120)}`);
  });

  it("previews no change after pulumi refresh", () => {
    const stack = stackOf(FIRST.stack);
    stack.must(["refresh", "--yes", "--skip-preview"]);
    const r = stack.pulumi(["preview", "--diff", "--expect-no-changes"]);
    if (r.status !== 0) throw new Error(`after refresh, pulumi preview --diff --expect-no-changes found changes:\n${tail(r, 120)}`);
  });
});
