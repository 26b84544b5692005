/**
 * Generates the publishable SDKs of the package into sdk/<language>/ with the Pulumi CLI, which
 * launches provider/ as a plugin and reads its schema (the one sdk/schema.json records):
 * `npm run gen-sdk [-- <language>...]`, Python, Go, .NET and Node.js by default.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { checkPulumi } from "./pulumiCli";

export const LANGUAGES = ["python", "go", "dotnet", "nodejs"];
const ROOT = path.resolve(__dirname, "..");

function fail(message: string): never {
  process.stderr.write(`gen-sdk: ${message}\n`);
  process.exit(1);
}

function main(languages: string[]): void {
  const problem = checkPulumi("`npm run gen-sdk`");
  if (problem) fail(`${problem} sdk/schema.json (\`npm run schema\`) needs no CLI.`);
  for (const language of languages) {
    // One language per run: `--language` takes one name (or "all", which includes Java).
    const args = ["package", "gen-sdk", "provider", "--language", language, "--out", "sdk"];
    process.stdout.write(`$ pulumi ${args.join(" ")}\n`);
    const run = spawnSync("pulumi", args, { cwd: ROOT, stdio: "inherit" });
    if (run.status !== 0) fail(`pulumi package gen-sdk failed for ${language} (exit ${run.status ?? run.signal})`);
  }
}

main(process.argv.length > 2 ? process.argv.slice(2) : LANGUAGES);
