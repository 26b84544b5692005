/**
 * `npm run bench`: every benchmark of issue 7, one section per module, run one after the other (each measurement in
 * a process of its own), printed as markdown with a description of the machine. Exits non-zero, after printing
 * everything, when a target is missed or a section could not run. It writes no file unless asked:
 * `npm run bench -- --write` also writes BENCHMARKS.md and the verdict in README.md's benchmark section (between its
 * bench:start and bench:end markers). Time targets are judged on medians of interleaved runs with the harness's
 * TIME_TOLERANCE, CPU time beside (bench/harness.ts).
 *
 *   1. evaluate.ts      time and memory of 1, 10, 50 instances on the mock runtime; growth exponent
 *   2. overhead.ts      the component against the same resources registered directly
 *   3. policy.ts        the policy pack on synthetic stacks of 1,000 to 50,000 resources (its own script)
 *   4. criticalPath.ts  the longest chain of awaited steps, first install and version change
 *   5. footprint.ts     requests and limits of the default profile
 *   6. highAvailability.ts  footprint of the HA profile, and its evaluation against the default's
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import * as criticalPath from "./criticalPath";
import * as evaluate from "./evaluate";
import * as footprint from "./footprint";
import * as highAvailability from "./highAvailability";
import { ROOT, Section, TIME_TOLERANCE, Target, judgeTime, num, table, targetTable } from "./harness";
import * as overhead from "./overhead";

const OUTPUT = path.join(ROOT, "BENCHMARKS.md");
const POLICY_SCRIPT = path.join(__dirname, "policy.ts");
const POLICY_BUDGET_MS = 1000;
const MAX_EXPONENT = 1.1;

/** bench/policy.ts is a script of its own: run it pinned to one core and read its table and verdict. */
async function policy(): Promise<Section> {
  const pin = fs.existsSync("/usr/bin/taskset") ? ["/usr/bin/taskset", "-c", String(os.cpus().length - 1)] : [];
  const command = [...pin, process.execPath, "-r", "ts-node/register/transpile-only", POLICY_SCRIPT];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: ROOT });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const row = stdout.split("\n").find((l) => l.startsWith("| 10,000 |"));
  const tenK = row ? Number(row.split("|")[5].trim()) : NaN;
  const tenKCpu = row ? Number(row.split("|")[8]?.trim()) : NaN;
  const exponents = /fitted growth exponent[^:]*:\s*([0-9.]+)[^\n]*?CPU time ([0-9.]+)/.exec(stdout);
  const exponent = Number(exponents?.[1] ?? NaN);
  const cpuExponent = Number(exponents?.[2] ?? NaN);
  const where = pin.length > 0 ? `pinned to CPU ${pin[2]} with taskset` : "not pinned (no taskset)";
  const markdown = [
    stdout.trim(),
    ...(stderr.trim() ? ["", "```", stderr.trim(), "```"] : []),
    "",
    `Run by \`bench/policy.ts\` (synthetic stacks from \`bench/synthetic.ts\`, \`runPolicies\` from \`policy/check.ts\`), ${where}; exit code ${code}.`,
  ].join("\n");
  const targets: Target[] = [
    {
      section: "Policy pack",
      target: `10,000 resources (1,000 NetworkPolicies × 10 ipBlocks) in ≤ ${num(POLICY_BUDGET_MS)} ms on one core`,
      measured: Number.isNaN(tenK) ? "not reported" : `${num(tenK, 1)} ms (wall, median of interleaved runs; CPU ${num(tenKCpu, 1)} ms)`,
      ...(code === 0 ? judgeTime(tenK, POLICY_BUDGET_MS) : { pass: false }),
    },
    {
      section: "Policy pack",
      target: `linear growth: fitted exponent ≤ ${MAX_EXPONENT} (1,000, 10,000, 50,000 resources)`,
      measured: Number.isNaN(exponent) ? "not reported" : `${exponent.toFixed(3)} (wall; CPU ${cpuExponent.toFixed(3)})`,
      ...(code === 0 ? judgeTime(exponent, MAX_EXPONENT) : { pass: false }),
    },
  ];
  return { title: "3. Policy pack on synthetic stacks", markdown, targets };
}

function readVersion(pkg: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

function gitDescription(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    // What this script writes (BENCHMARKS.md, README.md's benchmark section) is not a change of the code measured.
    const status = execFileSync("git", ["status", "--porcelain", "--", ".", ":!BENCHMARKS.md", ":!README.md"], { cwd: ROOT, encoding: "utf8" });
    const dirty = status.trim() !== "";
    return dirty ? `${commit} plus uncommitted changes` : commit;
  } catch {
    return "unknown (no git)";
  }
}

function machine(startLoad: number[], endLoad: number[], started: Date, seconds: number): string {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  return table(["", ""], [
    ["CPU", model],
    ["Cores", `${os.cpus().length} (logical)`],
    ["Memory", `${num(os.totalmem() / 1024 ** 3, 1)} GiB`],
    ["OS", `${os.type()} ${os.release()} (${os.arch()})`],
    ["Node", process.version],
    ["Packages", ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/policy", "typescript", "ts-node"].map((p) => `${p} ${readVersion(p)}`).join(", ")],
    ["Code", gitDescription()],
    ["Date", started.toISOString()],
    ["Load average (1, 5, 15 min)", `${load(startLoad)} at the start, ${load(endLoad)} at the end`],
    ["Duration of `npm run bench`", `${num(seconds)} s`],
  ]);
}

/** The README's benchmark section carries the verdict of the last written run, between these markers. */
const README = path.join(ROOT, "README.md");
const README_START = "<!-- bench:start -->";
const README_END = "<!-- bench:end -->";

function writeReadmeSummary(started: Date, verdict: string): void {
  const readme = fs.readFileSync(README, "utf8");
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${README_START} … ${README_END} markers`);
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const summary = [
    README_START,
    `Last run: ${started.toISOString().slice(0, 10)}, ${model}, ${os.cpus().length} cores, Node ${process.version}, ` +
      `code ${gitDescription()}. ${verdict} The targets and every figure are in [BENCHMARKS.md](BENCHMARKS.md#targets).`,
    README_END,
  ].join("\n");
  fs.writeFileSync(README, readme.slice(0, start) + summary + readme.slice(end + README_END.length));
}

/** What the command line asks: `--write` to write BENCHMARKS.md and README.md; nothing else is accepted. */
export function parseArgs(argv: string[]): { write: boolean } {
  const unknown = argv.filter((a) => a !== "--write");
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(" ")}; usage: npm run bench [-- --write]`);
  return { write: argv.includes("--write") };
}

/** The verdict line: every target met, met with some within the tolerance, or how many missed. */
export function verdictOf(targets: Target[]): string {
  const failed = targets.filter((t) => !t.pass).length;
  const tolerated = targets.filter((t) => t.pass && t.withinTolerance).length;
  if (failed > 0) return `**${failed} of ${targets.length} targets missed.**`;
  const close = tolerated > 0 ? `, ${tolerated} of them within the ${TIME_TOLERANCE * 100}% tolerance of time targets` : "";
  return `Every target is met (${targets.length} of ${targets.length}${close}).`;
}

async function main(write: boolean): Promise<number> {
  const started = new Date();
  const startLoad = os.loadavg();
  const t0 = performance.now();
  const sections: Section[] = [];
  const steps: Array<[string, () => Promise<Section>]> = [
    ["1. Evaluation on the mock runtime", evaluate.run],
    ["2. Overhead of the component against direct registration", overhead.run],
    ["3. Policy pack on synthetic stacks", policy],
    ["4. Critical path of a deployment", criticalPath.run],
    ["5. Footprint of the default profile", footprint.run],
    ["6. The high-availability profile", highAvailability.run],
  ];
  for (const [title, run] of steps) {
    const t = performance.now();
    console.error(`running ${title} ...`);
    let section: Section;
    try {
      section = await run();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      section = { title, markdown: `\`\`\`\n${message}\n\`\`\``, targets: [{ section: title, target: "the section runs", measured: "it failed", pass: false }] };
    }
    console.error(`  ${title}: ${num((performance.now() - t) / 1000)} s`);
    console.log(`## ${section.title}\n\n${section.markdown}\n`);
    sections.push(section);
  }
  const seconds = (performance.now() - t0) / 1000;
  const targets = sections.flatMap((s) => s.targets);
  const failed = targets.filter((t) => !t.pass);

  const description = machine(startLoad, os.loadavg(), started, seconds);
  const verdict = verdictOf(targets);
  console.log(`## Machine\n\n${description}\n\n## Targets\n\n${verdict}\n\n${targetTable(targets)}`);

  const document = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (bench/index.ts) from the code as it is: every figure below is measured by the script, " +
      "none is typed in. Re-run it to update this file; it exits non-zero when a target is missed. Measurements run " +
      "on Pulumi's mock runtime (no CLI, no cluster), each in a fresh Node process under ts-node (transpile-only, with " +
      "source maps, as Pulumi runs a TypeScript program). Targets on time are judged on the median wall time of " +
      "interleaved runs (the sizes or programs compared take turns, so a busy spell of the machine falls on all of them " +
      `alike), with a tolerance of ${TIME_TOLERANCE * 100}%: a median over its limit by at most that much is reported as ` +
      "met within the tolerance, not as a failure, so noise alone does not fail a run. CPU time (process.cpuUsage) is " +
      "shown beside every wall time. The load average below tells whether other work shared the machine.",
    "",
    "## Machine",
    "",
    description,
    "",
    "## Targets",
    "",
    verdict,
    "",
    targetTable(targets),
    "",
    ...sections.flatMap((s) => [`## ${s.title}`, "", s.markdown, ""]),
  ].join("\n");
  if (write) {
    // The real-engine section is written by bench/live.ts (npm run bench:live): keep it.
    const previous = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, "utf8") : "";
    const live = /<!-- live:start -->[\s\S]*<!-- live:end -->/.exec(previous)?.[0];
    fs.writeFileSync(OUTPUT, live ? `${document.trimEnd()}\n\n${live}\n` : document);
    writeReadmeSummary(started, verdict);
    console.error(`wrote ${path.relative(process.cwd(), OUTPUT) || OUTPUT} and README.md's benchmark section in ${num(seconds)} s`);
  } else {
    console.error(`ran in ${num(seconds)} s; wrote nothing (npm run bench -- --write writes BENCHMARKS.md and README.md)`);
  }
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  let write = false;
  try {
    write = parseArgs(process.argv.slice(2)).write;
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  main(write).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}
