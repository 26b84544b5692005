/**
 * Runs the embedded Sentinel set's pods on loopback, for redisSentinel.spec.ts: each "pod" is the StatefulSet's two
 * containers as the component declares them (command, arguments, environment), run by Debian's redis-server with the
 * script from the component's ConfigMap. Only what a pod gets from Kubernetes is supplied here: its name (POD_NAME),
 * the password (from the Secret), and in REDIS_NODES 127.0.0.1 and a port of its own per node instead of the pods'
 * DNS names; its emptyDir and claim are directories. Every server binds 127.0.0.1 (an extra `--bind` argument).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** redis-server, or undefined when it is not installed. */
export function redisServerBinary(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v redis-server && command -v redis-cli"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.split("\n")[0].trim() : undefined;
}

interface ContainerSpec {
  name: string;
  command: string[];
  args?: string[];
  env: { name: string; value?: string; valueFrom?: any }[];
}

export interface LoopbackNode {
  host: string;
  redisPort: number;
  sentinelPort: number;
}

/** Waits until `check` returns a value (not undefined), polling; fails with `what` after `seconds`. */
export async function until<T>(what: string, check: () => T | undefined, seconds = 90): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export class LoopbackSentinelSet {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-sentinel-"));
  private readonly processes = new Map<string, ChildProcess>();
  private starts = 0;

  /**
   * @param containers the StatefulSet's containers
   * @param script the script's text, as the ConfigMap holds it
   * @param nodes 127.0.0.1 and ports, by ordinal
   */
  constructor(private readonly containers: ContainerSpec[], script: string, readonly nodes: LoopbackNode[], readonly password: string, private readonly podPrefix: string) {
    fs.writeFileSync(path.join(this.dir, "redisSentinel.sh"), script);
  }

  /** Starts pod `i`'s containers, with a new emptyDir (as a new pod gets) and its claim's directory. */
  start(i: number): void {
    const config = path.join(this.dir, `config-${i}-${this.starts++}`);
    const data = path.join(this.dir, `data-${i}`);
    fs.mkdirSync(data, { recursive: true });
    for (const c of this.containers) {
      const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
      for (const e of c.env) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.secretKeyRef) env[e.name] = this.password;
        else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = `${this.podPrefix}-${i}`;
        else throw new Error(`${c.name}: no loopback value for ${e.name}`);
      }
      Object.assign(env, {
        REDIS_NODES: this.nodes.map((n) => `${n.host}:${n.redisPort}:${n.sentinelPort}`).join(" "),
        CONFIG_DIR: config,
        DATA_DIR: data,
      });
      const [shell, script, ...rest] = c.command;
      if (path.basename(script) !== "redisSentinel.sh") throw new Error(`${c.name} runs ${script}, not the script`);
      const log = fs.openSync(path.join(this.dir, `${c.name}-${i}.log`), "a");
      const child = spawn(shell, [path.join(this.dir, "redisSentinel.sh"), ...rest, ...(c.args ?? []), "--bind", "127.0.0.1"], { env, stdio: ["ignore", log, log] });
      fs.closeSync(log);
      this.processes.set(`${c.name}-${i}`, child);
    }
  }

  /** Loses pod `i` at once, as a node failure would: SIGKILL to both servers. */
  async kill(i: number): Promise<void> {
    await Promise.all(this.containers.map((c) => this.stopProcess(`${c.name}-${i}`, "SIGKILL")));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((k) => this.stopProcess(k, "SIGKILL")));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async stopProcess(key: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.processes.get(key);
    this.processes.delete(key);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** redis-cli against host:port with the password, its output lines; undefined when it cannot connect or errs. */
  cli(host: string, port: number, ...command: string[]): string[] | undefined {
    const r = spawnSync("redis-cli", ["-h", host, "-p", String(port), "--raw", ...command], {
      env: { ...process.env, REDISCLI_AUTH: this.password },
      encoding: "utf8",
      timeout: 5000,
    });
    const out = r.stdout ?? "";
    if (r.status !== 0 || /^(ERR|NOAUTH|WRONGPASS|LOADING|MASTERDOWN)|Could not connect/m.test(out + (r.stderr ?? ""))) return undefined;
    return out.split("\n").filter((l) => l !== "");
  }

  /** What node `i`'s sentinel names as the master, as "host:port". */
  sentinelMaster(i: number, master: string): string | undefined {
    const a = this.cli(this.nodes[i].host, this.nodes[i].sentinelPort, "sentinel", "get-master-addr-by-name", master);
    return a && a.length === 2 ? `${a[0]}:${a[1]}` : undefined;
  }

  /** Node `i`'s INFO replication, as a map. */
  replication(i: number): Record<string, string> | undefined {
    const lines = this.cli(this.nodes[i].host, this.nodes[i].redisPort, "info", "replication");
    return lines && Object.fromEntries(lines.filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
  }

  log(name: string, i: number): string {
    const file = path.join(this.dir, `${name}-${i}.log`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }
}

/**
 * Finds the master the way Mastodon's clients do with REDIS_SENTINELS and REDIS_SENTINEL_MASTER (redis-client in
 * Ruby, ioredis in streaming): each "host:port" in turn (port 26379 when left out) is asked for the master's address
 * with the Redis password (no sentinel password is set); the first answer is used once the server there says it is
 * the master (ROLE). Returns the master's "host:port".
 */
export function masterFromSentinels(set: LoopbackSentinelSet, sentinels: string, masterName: string): string | undefined {
  for (const entry of sentinels.split(",")) {
    const [host, port] = entry.split(":");
    const answer = set.cli(host, Number(port ?? 26379), "sentinel", "get-master-addr-by-name", masterName);
    if (!answer || answer.length !== 2) continue;
    const role = set.cli(answer[0], Number(answer[1]), "role");
    if (role?.[0] === "master") return `${answer[0]}:${answer[1]}`;
  }
  return undefined;
}
