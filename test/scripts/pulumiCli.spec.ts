/**
 * scripts/pulumiCli.ts, the check `npm run preview`, `npm run deploy` and `npm run gen-sdk` run before the CLI: one
 * message saying what to install, never the shell's `pulumi: not found`. The script runs in a child process with a
 * PATH of our choosing, so the outcome does not depend on what this machine has installed.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MIN_VERSION, parseVersion } from "../../scripts/pulumiCli";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts/pulumiCli.ts");

/** Runs the check as npm does, with PATH holding only `bin`. */
function check(bin: string, purpose = "npm run deploy") {
  const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", SCRIPT, purpose], {
    cwd: ROOT,
    env: { PATH: bin, HOME: bin },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A stand-in `pulumi` in `bin` that prints `version`. */
function fakePulumi(bin: string, version: string): void {
  const file = path.join(bin, "pulumi");
  fs.writeFileSync(file, `#!/bin/sh\necho ${version}\n`);
  fs.chmodSync(file, 0o755);
}

describe("scripts/pulumiCli.ts: the Pulumi CLI check of npm run preview and deploy", () => {
  let bin: string;

  beforeEach(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cli-"));
  });

  afterEach(() => {
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it("without pulumi on PATH, says what to install and where, names the command, and exits 1", () => {
    const { status, output } = check(bin);
    assert.equal(status, 1, output);
    assert.match(output, /^npm run deploy needs the Pulumi CLI \(3\.200\.0 or newer\), and `pulumi` is not on PATH\./);
    assert.match(output, /https:\/\/get\.pulumi\.com/);
    assert.match(output, /https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\//);
    assert.doesNotMatch(output, /not found|ENOENT|at .*\.ts:\d+/, "a shell or Node error leaked through");
  });

  it("with a CLI older than the README's minimum, names its version and the minimum", () => {
    fakePulumi(bin, "v3.100.0");
    const { status, output } = check(bin, "npm run preview");
    assert.equal(status, 1, output);
    assert.match(output, new RegExp(`npm run preview needs the Pulumi CLI ${MIN_VERSION} or newer; .*pulumi is v3\\.100\\.0\\.`));
  });

  it("with a current CLI, says nothing and exits 0", () => {
    fakePulumi(bin, "v3.270.0");
    const { status, output } = check(bin);
    assert.equal(status, 0, output);
    assert.equal(output, "");
  });

  it("runs before any pulumi command of npm run preview, deploy and gen-sdk", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    for (const name of ["preview", "deploy"]) {
      assert.match(scripts[name], new RegExp(`^ts-node --transpile-only scripts/pulumiCli\\.ts "npm run ${name}" && pulumi `), name);
    }
    assert.match(fs.readFileSync(path.join(ROOT, "scripts/gen-sdk.ts"), "utf8"), /checkPulumi\(/);
  });

  it("reads the version pulumi prints", () => {
    assert.deepEqual(parseVersion("v3.270.0\n"), [3, 270, 0]);
    assert.deepEqual(parseVersion("v3.200.1-dev.0"), [3, 200, 1]);
    assert.equal(parseVersion("unknown"), undefined);
  });
});
