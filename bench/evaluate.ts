/**
 * Evaluation on Pulumi's mock runtime: labs of 1, 10 and 50 MastodonClusters sharing a MastodonPlatform. Each run is
 * a fresh Node process (peak RSS belongs to that run alone, no mock or recorder state carries over) that loads the
 * modules, evaluates two one-instance labs to warm the JIT and Pulumi's lazily loaded modules, then the measured lab.
 * Time is the median of 3 interleaved runs. Target: linear growth (fitted exponent ≤ 1.1) of the wall time, judged
 * with the harness's TIME_TOLERANCE (CPU time beside it).
 *
 * Run alone: npx ts-node --transpile-only bench/evaluate.ts
 */
import { performance } from "node:perf_hooks";
import { Section, Target, collectGarbage, cpuMs, growthExponent, inChild, judgeTime, median, mib, num, sectionMain, table } from "./harness";

const SIZES = [1, 10, 50];
const RUNS = 3;
const MAX_EXPONENT = 1.1;

interface RunResult {
  size: number;
  resources: number;
  wallMs: number;
  cpuMs: number;
  /** From process start to the modules loaded (node, ts-node, @pulumi/*, the provider). */
  startupMs: number;
  /** The first one-instance warm-up lab, cold. */
  warmupMs: number;
  /** maxRSS before the measured lab (after the warm-up) and at its end, in KiB. */
  rssBeforeKiB: number;
  peakRssKiB: number;
}

/** In a child: one measured evaluation of a lab of `size` instances. */
async function work({ size }: { size: number }): Promise<RunResult> {
  const { installMocks, runProgram } = await import("../test/harness/mocks");
  const { labStack } = await import("./stacks");
  const startupMs = performance.now();
  await installMocks(false);

  // Two one-instance labs: the first loads Pulumi's lazy modules and compiles, the second lets the JIT settle.
  let t = performance.now();
  await runProgram(() => labStack(1, "warmup"));
  const warmupMs = performance.now() - t;
  await runProgram(() => labStack(1, "warmup-again"));
  collectGarbage();

  const rssBeforeKiB = process.resourceUsage().maxRSS;
  const cpu = process.cpuUsage();
  t = performance.now();
  const { resources } = await runProgram(() => labStack(size, "m"));
  const wallMs = performance.now() - t;
  return { size, resources: resources.length, wallMs, cpuMs: cpuMs(cpu), startupMs, warmupMs, rssBeforeKiB, peakRssKiB: process.resourceUsage().maxRSS };
}

export async function run(): Promise<Section> {
  // Sizes take turns, so that a busy spell of a shared machine falls on all of them alike.
  const runs: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const size of SIZES) runs.push(await inChild<RunResult>(__filename, { size }));
  }
  const rows = SIZES.map((size) => {
    const of = runs.filter((x) => x.size === size);
    return {
      size,
      resources: of[0].resources,
      wallMs: median(of.map((x) => x.wallMs)),
      cpuMs: median(of.map((x) => x.cpuMs)),
      peakRssKiB: median(of.map((x) => x.peakRssKiB)),
      rssBeforeKiB: median(of.map((x) => x.rssBeforeKiB)),
    };
  });
  const cpuExponent = growthExponent(rows.map((r) => ({ x: r.size, y: r.cpuMs })));
  const wallExponent = growthExponent(rows.map((r) => ({ x: r.size, y: r.wallMs })));
  const startup = median(runs.map((x) => x.startupMs));
  const warmup = median(runs.map((x) => x.warmupMs));

  const markdown = [
    table(
      ["Instances", ">Resources registered", ">Wall time (ms)", ">CPU time (ms)", ">Resources/s (wall)", ">Resources/s (CPU)", ">ms per instance (wall)", ">Slope from previous (wall)", ">Peak RSS", ">Peak RSS before the lab", ">Added per instance"],
      rows.map((r, i) => [
        r.size,
        num(r.resources),
        num(r.wallMs),
        num(r.cpuMs),
        num((r.resources / r.wallMs) * 1000),
        num((r.resources / r.cpuMs) * 1000),
        num(r.wallMs / r.size),
        i === 0 ? "" : (Math.log(r.wallMs / rows[i - 1].wallMs) / Math.log(r.size / rows[i - 1].size)).toFixed(2),
        mib(r.peakRssKiB),
        mib(r.rssBeforeKiB),
        mib(Math.max(0, r.peakRssKiB - r.rssBeforeKiB) / r.size),
      ]),
    ),
    "",
    `Fitted growth exponent (least squares of log time on log instances): **${wallExponent.toFixed(3)}** on wall time, ${cpuExponent.toFixed(3)} on CPU time (every thread of the process, the garbage collector's helpers included).`,
    "",
    `Each lab is one MastodonPlatform plus N MastodonClusters (distinct names and domains, \`tls.issuerName\` and \`tls.caCertificate\` from the platform); resources include the components themselves. Median of ${RUNS} runs, the sizes taking turns, each in a fresh process: start-up (Node, ts-node, modules) ${num(startup)} ms, then two one-instance warm-up labs (the first, cold, takes ${num(warmup)} ms), then the measured lab. "Peak RSS before the lab" is the process's maxRSS after the warm-up: what the lab adds is the difference.`,
  ].join("\n");

  const targets: Target[] = [
    {
      section: "Evaluation",
      target: `linear growth: fitted exponent ≤ ${MAX_EXPONENT} (1, 10, 50 instances)`,
      measured: `${wallExponent.toFixed(3)} (wall, medians of ${RUNS} interleaved runs; CPU ${cpuExponent.toFixed(3)})`,
      ...judgeTime(wallExponent, MAX_EXPONENT),
    },
  ];
  return { title: "1. Evaluation on the mock runtime", markdown, targets };
}

if (require.main === module) sectionMain(run, work);
