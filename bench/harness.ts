/**
 * What every benchmark section shares: the shape of a section's result (markdown and targets), the child processes
 * that keep measurements apart (a fresh Node per measurement, mock runtime and all), statistics and formatting.
 */
import { fork } from "node:child_process";
import * as path from "node:path";

/** The repository's root: children run there, so ts-node finds the root tsconfig. */
export const ROOT = path.resolve(__dirname, "..");

/** One target of the issue, judged from the figures the section measured. */
export interface Target {
  section: string;
  target: string;
  measured: string;
  pass: boolean;
  /** A time target met only within TIME_TOLERANCE: not a failure, but shown as such a close call. */
  withinTolerance?: boolean;
}

/**
 * How far a time figure may exceed its limit before the miss counts. Every time target is judged on the median of
 * interleaved runs (the sizes or programs compared take turns, so a busy spell of a shared machine falls on all of
 * them alike), and a median over the limit by at most this fraction is reported as met within the tolerance: noise
 * alone does not fail a run. CPU time (process.cpuUsage) is reported beside every wall time.
 */
export const TIME_TOLERANCE = 0.1;

/** The verdict on a time figure (lower is better) against `limit`, under TIME_TOLERANCE. */
export function judgeTime(value: number, limit: number): Pick<Target, "pass" | "withinTolerance"> {
  if (!Number.isFinite(value)) return { pass: false };
  if (value <= limit) return { pass: true };
  return value <= limit * (1 + TIME_TOLERANCE) ? { pass: true, withinTolerance: true } : { pass: false };
}

/** What a section hands to index.ts: its markdown (tables and notes) and its targets. */
export interface Section {
  title: string;
  markdown: string;
  targets: Target[];
}

// ---------------------------------------------------------------------------------------------
// Child processes.
// ---------------------------------------------------------------------------------------------

const CHILD_FLAG = "--bench-child";

/**
 * Runs `work` of `modulePath` in a fresh Node process (ts-node, --expose-gc) and resolves to what it returned. The
 * child's stdout and stderr are kept and shown only if it fails.
 */
export function inChild<T>(modulePath: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, [CHILD_FLAG, JSON.stringify(args)], {
      cwd: ROOT,
      execArgv: ["-r", "ts-node/register/transpile-only", "--expose-gc"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    let answer: { ok: boolean; result?: T; error?: string } | undefined;
    child.on("message", (m: any) => (answer = m));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (answer?.ok) resolve(answer.result as T);
      else reject(new Error(`${path.relative(ROOT, modulePath)} ${JSON.stringify(args)} failed (exit ${code}): ${answer?.error ?? ""}\n${output}`));
    });
  });
}

/**
 * The entry of a section module: as a child (started by `inChild`) it runs `work` and sends the result back; run
 * directly (`ts-node bench/footprint.ts`) it prints the section and exits non-zero if a target is missed.
 */
export function sectionMain(run: () => Promise<Section>, work?: (args: any) => Promise<unknown>): void {
  const flag = process.argv.indexOf(CHILD_FLAG);
  if (flag >= 0) {
    if (!work) throw new Error(`${process.argv[1]} has no child work`);
    work(JSON.parse(process.argv[flag + 1])).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (e) => process.send!({ ok: false, error: e instanceof Error ? e.stack : String(e) }, () => process.exit(1)),
    );
    return;
  }
  run().then(
    (section) => {
      console.log(`## ${section.title}\n\n${section.markdown}\n\n${targetTable(section.targets)}`);
      process.exitCode = section.targets.every((t) => t.pass) ? 0 : 1;
    },
    (e) => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}

/** Collects garbage when the child runs with --expose-gc, so one measurement does not pay for the previous one. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** CPU time (user + system, every thread of the process) in ms since `since`. */
export function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Statistics.
// ---------------------------------------------------------------------------------------------

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Least-squares slope of log(y) on log(x): 1 is linear growth. */
export function growthExponent(points: Array<{ x: number; y: number }>): number {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

// ---------------------------------------------------------------------------------------------
// Formatting.
// ---------------------------------------------------------------------------------------------

/** A markdown table; columns whose header starts with ">" are right-aligned (the ">" is dropped). */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const right = headers.map((h) => h.startsWith(">"));
  const head = headers.map((h) => h.replace(/^>/, ""));
  return [
    `| ${head.join(" | ")} |`,
    `|${right.map((r) => (r ? "---:" : "---")).join("|")}|`,
    ...rows.map((row) => `| ${row.map(String).join(" | ")} |`),
  ].join("\n");
}

export function targetTable(targets: Target[]): string {
  const result = (t: Target) => (!t.pass ? "**FAIL**" : t.withinTolerance ? `pass, within the ${TIME_TOLERANCE * 100}% tolerance` : "pass");
  return table(["Section", "Target", "Measured", "Result"], targets.map((t) => [t.section, t.target, t.measured, result(t)]));
}

/** 1234.5 → "1,235"; with `digits`, fixed decimals. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const mib = (kib: number) => `${num(kib / 1024)} MiB`;
