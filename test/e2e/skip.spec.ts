/**
 * test/e2e/run.sh on a machine without the Pulumi CLI or a cluster tool: it must say what is
 * missing and exit 0, so that `npm test` does not fail there. The script runs with a PATH holding
 * only the few programs it calls before it decides to skip, so the outcome does not depend on what
 * this machine has installed.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "test/e2e/run.sh");
/** What run.sh needs up to its skip message: bash, env (its shebang), dirname (finding itself). */
const TOOLS = ["bash", "env", "dirname"];
/** What a skip on this PATH must name as missing. */
const ABSENT = ["pulumi", "docker", "k3d", "kind", "kubectl"];

/** The absolute path of TOOL on this machine's PATH (or in /usr/bin, /bin). */
function which(tool: string): string {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin", "/bin"].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${tool} not found on PATH: the e2e skip test needs it`);
}

describe("test/e2e/run.sh without the Pulumi CLI or a cluster tool", () => {
  let bin: string;

  before(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-skip-"));
    for (const tool of TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
  });

  after(() => {
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it("says what is missing and exits 0", () => {
    const result = spawnSync(path.join(bin, "bash"), [SCRIPT], {
      cwd: ROOT,
      // Nothing inherited: no E2E_* settings, and a PATH with only the symlinks above.
      env: { PATH: bin, HOME: bin, LC_ALL: "C" },
      encoding: "utf8",
      timeout: 30_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.error, undefined, `run.sh could not be run: ${String(result.error)}`);
    assert.equal(result.signal, null, `run.sh was killed by ${result.signal}:\n${output}`);
    assert.equal(result.status, 0, `run.sh exited ${result.status}:\n${output}`);
    assert.doesNotMatch(output, /command not found|No such file/, `run.sh called a program not linked into the PATH:\n${output}`);

    const skip = output.split("\n").find((line) => line.startsWith("e2e skipped: missing "));
    assert.ok(skip, `no "e2e skipped: missing ..." line:\n${output}`);
    for (const tool of ABSENT) assert.match(skip, new RegExp(`\\b${tool}\\b`), `the skip line does not name ${tool}: ${skip}`);
    assert.match(skip, /k3d \(preferred\) or kind/);
  });
});
