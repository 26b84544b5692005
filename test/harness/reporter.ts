/**
 * Mocha's spec reporter, with the reason of every pending test under it (test/harness/pending.ts), closed by the
 * plain summary line CI reads: "tests: N passed, N failed, N skipped", then one line per reason for skipping.
 */
import * as Mocha from "mocha";
import { pendingReason } from "./pending";

/** How deep the spec reporter has indented `test`'s title: two spaces per suite, the root's included. */
function indentOf(test: Mocha.Test): string {
  let depth = 0;
  for (let suite = test.parent; suite; suite = suite.parent) depth++;
  return "  ".repeat(depth + 1);
}

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const skipped = new Map<string, number>();
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test: Mocha.Test) => {
      const reason = pendingReason(test);
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      process.stdout.write(`${indentOf(test)}skipped: ${reason}\n`);
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = this.stats;
      process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      for (const [reason, count] of skipped) process.stdout.write(`skipped ${count}: ${reason}\n`);
    });
  }
}

export = SpecWithSummary;
