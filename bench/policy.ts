/**
 * Policy-pack benchmark: synthetic stacks of 1,000, 10,000 and 50,000 resources (1 NetworkPolicy with 10 ipBlocks
 * per 10 resources) through runPolicies. Prints a markdown table and fails when the 10,000-resource stack takes 1 s
 * or more, or when time grows faster than size^1.1 (least-squares slope of log time on log size): both judged on the
 * median wall time of interleaved runs with the harness's TIME_TOLERANCE, CPU time reported beside.
 *
 * Run: npx ts-node --transpile-only bench/policy.ts
 */
import { performance } from "node:perf_hooks";
import { runPolicies } from "../policy/check";
import { TIME_TOLERANCE, cpuMs, growthExponent, judgeTime, median } from "./harness";
import { SYNTHETIC_CONFIG, syntheticStack } from "./synthetic";

const SIZES = [1_000, 10_000, 50_000];
const RUNS = 7;
const MIN_SAMPLE = 10_000;
const BUDGET_10K_MS = 1000;
const MAX_EXPONENT = 1.1;

function main(): number {
  // Warm the JIT on a mid-sized stack so the smallest size is not measured cold.
  const warmup = syntheticStack(10_000);
  for (let i = 0; i < 3; i++) runPolicies(warmup, SYNTHETIC_CONFIG);

  // Sizes take turns, sample by sample, so that a busy spell of the machine falls on all of them alike. Small stacks
  // run several times per sample, so that every sample covers at least MIN_SAMPLE resources and pays its share of
  // garbage collection as the large ones do.
  const stacks = SIZES.map((size) => syntheticStack(size));
  const findings = stacks.map((stack) => runPolicies(stack, SYNTHETIC_CONFIG).length);
  const times: number[][] = SIZES.map(() => []);
  const cpuTimes: number[][] = SIZES.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    stacks.forEach((stack, i) => {
      const repetitions = Math.max(1, Math.round(MIN_SAMPLE / SIZES[i]));
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let k = 0; k < repetitions; k++) runPolicies(stack, SYNTHETIC_CONFIG);
      times[i].push((performance.now() - start) / repetitions);
      cpuTimes[i].push(cpuMs(cpu) / repetitions);
    });
  }
  const results = SIZES.map((size, i) => ({ size, ms: median(times[i]), cpuMs: median(cpuTimes[i]), findings: findings[i] }));

  const exponent = growthExponent(results.map((r) => ({ x: r.size, y: r.ms })));
  const cpuExponent = growthExponent(results.map((r) => ({ x: r.size, y: r.cpuMs })));
  // The median wall time stays the fifth column: bench/index.ts reads it.
  console.log("| resources | NetworkPolicies | ipBlocks | findings | median time (ms) | resources/s | slope from previous | median CPU time (ms) |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  results.forEach((r, i) => {
    const slope = i === 0 ? "" : (Math.log(r.ms / results[i - 1].ms) / Math.log(r.size / results[i - 1].size)).toFixed(2);
    const rate = Math.round((r.size / r.ms) * 1000).toLocaleString("en-US");
    console.log(
      `| ${r.size.toLocaleString("en-US")} | ${(r.size / 10).toLocaleString("en-US")} | ${r.size.toLocaleString("en-US")} | ${r.findings} | ${r.ms.toFixed(1)} | ${rate} | ${slope} | ${r.cpuMs.toFixed(1)} |`,
    );
  });
  console.log(`\nfitted growth exponent (log-log slope): ${exponent.toFixed(3)} (limit ${MAX_EXPONENT}; CPU time ${cpuExponent.toFixed(3)})`);
  console.log(`\nMedians of ${RUNS} runs, the sizes taking turns; a median over its limit by at most ${TIME_TOLERANCE * 100}% is met within the tolerance.`);

  const tenK = results.find((r) => r.size === 10_000)!;
  let failed = false;
  if (!judgeTime(tenK.ms, BUDGET_10K_MS).pass) {
    console.error(`FAIL: the 10,000-resource stack took ${tenK.ms.toFixed(1)} ms (budget ${BUDGET_10K_MS} ms, tolerance ${TIME_TOLERANCE * 100}%)`);
    failed = true;
  }
  if (!judgeTime(exponent, MAX_EXPONENT).pass) {
    console.error(`FAIL: growth exponent ${exponent.toFixed(3)} exceeds ${MAX_EXPONENT} (tolerance ${TIME_TOLERANCE * 100}%)`);
    failed = true;
  }
  if (!failed) console.log("OK: within budget and linear");
  return failed ? 1 : 0;
}

process.exitCode = main();
