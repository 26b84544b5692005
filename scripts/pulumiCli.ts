/**
 * The Pulumi CLI check that `npm run preview` and `npm run deploy` (and `npm run gen-sdk`) run first: without
 * `pulumi` on PATH, or with one older than the README's minimum, they stop with one message that says what to
 * install, instead of the shell's `pulumi: not found`.
 *
 *   ts-node --transpile-only scripts/pulumiCli.ts <what needs it, e.g. "npm run deploy">
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The oldest CLI the README's prerequisites name. */
export const MIN_VERSION = "3.200.0";
export const INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

/** The path of the `pulumi` executable on `searchPath`, or undefined. */
export function findPulumi(searchPath = process.env.PATH ?? ""): string | undefined {
  const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd", "pulumi"] : ["pulumi"];
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** "v3.270.0" → [3, 270, 0]; undefined when the text holds no version. */
export function parseVersion(text: string): number[] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? m.slice(1, 4).map(Number) : undefined;
}

function older(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Undefined when the CLI is usable; otherwise the one message to print. */
export function checkPulumi(purpose: string, searchPath = process.env.PATH ?? ""): string | undefined {
  const cli = findPulumi(searchPath);
  if (!cli) {
    return `${purpose} needs the Pulumi CLI (${MIN_VERSION} or newer), and \`pulumi\` is not on PATH.\n` +
      `Install it with \`curl -fsSL https://get.pulumi.com | sh\` (or as ${INSTALL_URL} shows), open a new shell so ` +
      `that ~/.pulumi/bin is on PATH, and run ${purpose} again. (\`npm test\` needs no CLI.)`;
  }
  const probe = spawnSync(cli, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  const version = parseVersion(`${probe.stdout ?? ""}`);
  // A CLI that does not say its version is given the benefit of the doubt: pulumi itself will speak.
  if (version && older(version, parseVersion(MIN_VERSION)!)) {
    return `${purpose} needs the Pulumi CLI ${MIN_VERSION} or newer; ${cli} is v${version.join(".")}. ` +
      `Update it from ${INSTALL_URL}, then run ${purpose} again.`;
  }
  return undefined;
}

if (require.main === module) {
  const problem = checkPulumi(process.argv[2] ?? "this command");
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
