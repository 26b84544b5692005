/**
 * The live suite's helpers: run the real Pulumi CLI and kubectl against the simulated cluster
 * (cluster.sh), each stack with a local backend and its config in a temp folder of its own.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const PROGRAMS = path.join(__dirname, "programs");

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/** Runs a command to its end; never throws (callers assert on the result). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** The tail of a command's output, for failure messages. */
export function tail(r: RunResult, lines = 60): string {
  return `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-lines).join("\n");
}

/** Runs a command that must succeed; throws with its output otherwise. */
export function must(what: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${what}: \`${cmd} ${args.join(" ")}\` exited ${r.status}\n${tail(r)}`);
  return r;
}

/** kubectl, returning parsed JSON output. */
export function kubectlJson<T = any>(args: string[]): T {
  const r = must("kubectl", "kubectl", [...args, "-o", "json"]);
  return JSON.parse(r.stdout) as T;
}

/** kubectl, returning the items of a list (empty when nothing matches). */
export function kubectlItems(kind: string, namespace?: string, selector?: string): any[] {
  const args = ["get", kind, ...(namespace ? ["-n", namespace] : ["-A"]), ...(selector ? ["-l", selector] : [])];
  return kubectlJson<{ items: any[] }>(args).items;
}

/**
 * A stack of a program, with a state backend of its own in a temp folder. Its config file is the
 * program's Pulumi.<stack>.yaml (git-ignored), removed when the stack is made, so a run never
 * inherits an earlier run's config.
 */
export class Stack {
  readonly dir: string;
  constructor(readonly program: string, readonly name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `live-${name}-`));
    fs.rmSync(path.join(program, `Pulumi.${name}.yaml`), { force: true });
  }

  /** The CLI in the program's folder, on this stack. */
  pulumi(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunResult {
    const dashes = args.indexOf("--");
    const [head, rest] = dashes < 0 ? [args, []] : [args.slice(0, dashes), args.slice(dashes)];
    return run("pulumi", [...head, "--stack", this.name, "--non-interactive", ...rest], {
      cwd: this.program,
      env: { PULUMI_BACKEND_URL: `file://${this.dir}`, ...opts.env },
    });
  }

  /** As pulumi(), but the command must succeed. */
  must(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunResult {
    const r = this.pulumi(args, opts);
    if (r.status !== 0) throw new Error(`stack ${this.name}: \`pulumi ${args.join(" ")}\` exited ${r.status}\n${tail(r)}`);
    return r;
  }

  init(config: Record<string, string>, secrets: Record<string, string> = {}): void {
    this.must(["stack", "init"]);
    this.setConfig(config, secrets);
  }

  setConfig(config: Record<string, string>, secrets: Record<string, string> = {}): void {
    for (const [key, value] of Object.entries(config)) this.must(["config", "set", key, "--", value]);
    for (const [key, value] of Object.entries(secrets)) this.must(["config", "set", "--secret", key, "--", value]);
  }

  outputs(): Record<string, any> {
    return JSON.parse(this.must(["stack", "output", "--json", "--show-secrets"]).stdout);
  }

  /** The stack's resources as `pulumi stack export` writes them. */
  resources(): any[] {
    return JSON.parse(this.must(["stack", "export", "--show-secrets"]).stdout).deployment.resources ?? [];
  }
}

/** Seconds since the epoch of a Kubernetes timestamp. */
export function at(timestamp: string | undefined, what: string): number {
  if (!timestamp) throw new Error(`${what}: no timestamp`);
  return Date.parse(timestamp) / 1000;
}
