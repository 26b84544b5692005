/**
 * The rules `npm run bench` judges by (bench/harness.ts, bench/index.ts): a time target is not failed by noise
 * alone, and nothing is written unless asked. The benchmarks themselves take minutes and are not run here.
 */
import * as assert from "node:assert/strict";
import { TIME_TOLERANCE, Target, judgeTime, targetTable } from "../../bench/harness";
import { parseArgs, verdictOf } from "../../bench/index";

const target = (over: Partial<Target>): Target => ({ section: "S", target: "t", measured: "m", pass: true, ...over });

describe("npm run bench", () => {
  it("meets a time target at or under its limit", () => {
    assert.deepEqual(judgeTime(0.9, 1), { pass: true });
    assert.deepEqual(judgeTime(1, 1), { pass: true });
  });

  it(`meets it within the stated ${TIME_TOLERANCE * 100}% tolerance when a median is over the limit by no more, and says so`, () => {
    assert.deepEqual(judgeTime(1.27 * 1.05, 1.27), { pass: true, withinTolerance: true });
    assert.match(targetTable([target(judgeTime(1.05, 1))]), /\| pass, within the 10% tolerance \|$/m);
    assert.equal(verdictOf([target({}), target(judgeTime(1.05, 1))]), "Every target is met (2 of 2, 1 of them within the 10% tolerance of time targets).");
  });

  it("fails it beyond the tolerance, and on a figure that was not measured", () => {
    assert.deepEqual(judgeTime(1 + TIME_TOLERANCE + 0.001, 1), { pass: false });
    assert.deepEqual(judgeTime(NaN, 1), { pass: false });
    assert.match(targetTable([target(judgeTime(2, 1))]), /\| \*\*FAIL\*\* \|$/m);
    assert.equal(verdictOf([target({}), target({ pass: false })]), "**1 of 2 targets missed.**");
  });

  it("writes BENCHMARKS.md and README.md only with --write, and refuses other arguments", () => {
    assert.deepEqual(parseArgs([]), { write: false });
    assert.deepEqual(parseArgs(["--write"]), { write: true });
    assert.throws(() => parseArgs(["--wirte"]), /unknown argument --wirte; usage: npm run bench \[-- --write\]/);
  });
});
