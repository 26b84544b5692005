/**
 * Runs the real Squid on loopback with the component's own squid.conf (squidConfig), for the egress gateway's spec:
 * a temporary directory with the config, a hosts file and the log; a DNS stub on a loopback address that answers
 * NXDOMAIN to everything, so that no lookup leaves the machine. Squid runs as its `proxy` user when we are root, as
 * in the pod (runAsUser 13), with its stdout a file that user owns (what runc does for a container's stdio).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { SquidConfigOptions, squidConfig } from "../../provider/egressGateway";

/** The squid binary, or undefined when it is not installed. */
export function squidBinary(): string | undefined {
  for (const candidate of ["/usr/sbin/squid", "/usr/bin/squid", "/usr/local/sbin/squid"]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const found = spawnSync("sh", ["-c", "command -v squid"], { encoding: "utf8" });
  return found.status === 0 && found.stdout.trim() !== "" ? found.stdout.trim() : undefined;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A DNS server that answers every query with NXDOMAIN, on `address`:53 (we are root) or refuses to start. */
export async function nxdomainServer(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, remote) => {
    if (query.length < 12) return;
    const answer = Buffer.from(query);
    // QR=1, opcode as asked, RD copied, RA=1, RCODE=3 (NXDOMAIN); no answers.
    answer[2] = 0x80 | (query[2] & 0x79);
    answer[3] = 0x80 | 0x03;
    answer.writeUInt16BE(0, 6);
    answer.writeUInt16BE(0, 8);
    answer.writeUInt16BE(0, 10);
    socket.send(answer.subarray(0, query.length), remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(53, address, () => resolve());
  });
  return socket;
}

export interface RunningSquid {
  port: number;
  /** The access log so far (Squid's stdout). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts Squid with squidConfig(options + the port, hosts file and DNS given here); resolves once it listens. */
export async function startSquid(binary: string, options: Omit<SquidConfigOptions, "port" | "hostsFile">, hosts: string): Promise<RunningSquid> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-squid-"));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const hostsFile = path.join(dir, "hosts");
  fs.writeFileSync(hostsFile, hosts, { mode: 0o644 });
  const configFile = path.join(dir, "squid.conf");
  fs.writeFileSync(configFile, squidConfig({ ...options, port, hostsFile }), { mode: 0o644 });
  const logFile = path.join(dir, "access.log");
  const errFile = path.join(dir, "cache.log");
  const asProxy = process.getuid?.() === 0;
  const uid = asProxy ? proxyUid() : undefined;
  const out = fs.openSync(logFile, "a", 0o644);
  const err = fs.openSync(errFile, "a", 0o644);
  if (uid !== undefined) {
    fs.fchownSync(out, uid, uid);
    fs.fchownSync(err, uid, uid);
  }
  const child: ChildProcess = spawn(binary, ["-N", "-f", configFile], {
    stdio: ["ignore", out, err],
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  fs.closeSync(out);
  fs.closeSync(err);
  let exited = false;
  child.on("exit", () => (exited = true));
  const deadline = Date.now() + 20_000;
  while (!(await listening(port))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`squid did not start on 127.0.0.1:${port}:\n${fs.readFileSync(errFile, "utf8")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    log: () => fs.readFileSync(logFile, "utf8"),
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Squid's `proxy` user (13 on Debian and Ubuntu, as the pod runs it). */
function proxyUid(): number {
  const found = spawnSync("id", ["-u", "proxy"], { encoding: "utf8" });
  return found.status === 0 ? Number(found.stdout.trim()) : 13;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Sends one raw request to the proxy and returns the status line of its answer. */
export function proxyRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    socket.setTimeout(30_000, () => {
      socket.destroy();
      reject(new Error(`no answer from the proxy to ${JSON.stringify(request.split("\r\n")[0])}`));
    });
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const end = data.indexOf("\r\n");
      if (end >= 0) {
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.on("error", reject);
    socket.on("end", () => resolve(data.split("\r\n")[0]));
  });
}
