/**
 * test/harness/reporter.ts and pending.ts: every pending test says why in the output, under its title and again in
 * the summary, whichever way it was skipped. The fixture runs in a mocha of its own, with this repository's reporter.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(__dirname, "fixtures", "pending.fixture.ts");

describe("the test reporter", () => {
  let output: string;

  before(function () {
    this.timeout(60_000);
    const run = spawnSync(
      process.execPath,
      [require.resolve("mocha/bin/mocha.js"), "--no-config", "-r", "ts-node/register/transpile-only", "--extension", "ts",
        "--reporter", path.join(__dirname, "reporter.ts"), FIXTURE],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } },
    );
    output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, output);
  });

  /** The line under the pending test `title`. */
  function reasonOf(title: string): string {
    const lines = output.split("\n");
    const i = lines.findIndex((l) => l.trim() === `- ${title}`);
    assert.ok(i >= 0, `no pending line for "${title}":\n${output}`);
    return lines[i + 1].trim();
  }

  it("prints the reason given to this.skip(reason), in a test and in an async test", () => {
    assert.equal(reasonOf("skips with a reason"), "skipped: no frobnicator on PATH");
    assert.equal(reasonOf("skips asynchronously with a reason"), "skipped: the frobnicator is busy");
  });

  it("points a bare this.skip() at the line that called it, condition and all", () => {
    assert.equal(
      reasonOf("is pending with the hook"),
      "skipped: no reason given; skipped at test/harness/fixtures/pending.fixture.ts:17: " +
        "if (process.env.FIXTURE_NEVER_SET === undefined) this.skip();",
    );
  });

  it("tells a spec without a body from it.skip and describe.skip", () => {
    assert.match(reasonOf("is written without a body"), /^skipped: written without a body: a specification still to implement/);
    assert.equal(reasonOf("is marked skip"), "skipped: marked it.skip in test/harness/fixtures/pending.fixture.ts");
    assert.equal(reasonOf("is pending with its suite"), 'skipped: its suite "a skipped suite" is marked describe.skip in test/harness/fixtures/pending.fixture.ts');
  });

  it("closes with the summary line CI reads, then one line per reason", () => {
    assert.match(output, /^tests: 1 passed, 0 failed, 6 skipped$/m);
    assert.match(output, /^skipped 1: no frobnicator on PATH$/m);
    assert.match(output, /^skipped 1: no reason given; skipped at test\/harness\/fixtures\/pending\.fixture\.ts:17: /m);
  });
});
