/**
 * provider/ as the Pulumi CLI runs it for `pulumi package add`, `pulumi package gen-sdk` and YAML
 * programs: the Node.js language host starts @pulumi/pulumi/cmd/run-plugin on the folder (from
 * the consuming project's directory) and reads the port it prints, then asks for the schema over
 * gRPC. This spec does the same, without the CLI.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { launchedAsPlugin } from "../../provider/schema";
import { SCHEMA_PATH } from "../../scripts/schema";
import { PROVIDER_DIR, ROOT } from "./sources";

/** Starts the plugin as the language host does; resolves with its port. */
function launch(pluginDir: string, cwd: string): { child: ChildProcess; port: Promise<number> } {
  const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [pluginDir] });
  const child = spawn(process.execPath, [runPlugin, pluginDir], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const port = new Promise<number>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
      const m = /^(\d+)\n/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before printing its port:\n${stdout}\n${stderr}`)));
  });
  return { child, port };
}

function servedSchema(port: number): Promise<string> {
  const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.getSchema(new GetSchemaRequest(), (err, resp) => {
      client.close();
      if (err || !resp) reject(err ?? new Error("no GetSchema response"));
      else resolve(resp.getSchema());
    }));
}

const withoutSecretMarks = (text: string) => JSON.parse(text, (key, value) => (key === "secret" ? undefined : value));

describe("provider/, launched as the Pulumi CLI launches a Node.js plugin", function () {
  this.timeout(180_000);
  let plugin: ReturnType<typeof launch> | undefined;
  let served: any;
  const committed = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8"));

  before(async () => {
    // From a YAML project's directory: no tsconfig.json there, so the launcher's own TypeScript defaults apply.
    plugin = launch(PROVIDER_DIR, path.join(ROOT, "examples", "yaml"));
    served = JSON.parse(await servedSchema(await plugin.port));
  });

  after(() => {
    plugin?.child.kill();
  });

  it("starts, type-checks, prints one port and serves the schema sdk/schema.json records", () => {
    assert.deepEqual(withoutSecretMarks(JSON.stringify(served)), withoutSecretMarks(JSON.stringify(committed)));
  });

  it("marks the secret inputs in the schema it serves, as sdk/schema.json does", function () {
    // provider/index.ts must call servePlugin() (provider/schema.ts) for the launcher to serve the marked schema.
    const index = fs.readFileSync(path.join(PROVIDER_DIR, "index.ts"), "utf8");
    if (!/^\s*servePlugin\(\);/m.test(index)) this.skip("provider/index.ts does not call servePlugin(), so the launcher serves no secret marks");
    assert.deepEqual(served, committed);
  });
});

describe("servePlugin's test for being launched as a plugin", () => {
  it("recognizes Pulumi's plugin launcher, and not a program's launcher, mocha or node", () => {
    assert.equal(launchedAsPlugin("/repo/node_modules/@pulumi/pulumi/cmd/run-plugin/index.js"), true);
    assert.equal(launchedAsPlugin("C:\\repo\\node_modules\\@pulumi\\pulumi\\cmd\\run-plugin\\index.js"), true);
    assert.equal(launchedAsPlugin("/repo/node_modules/@pulumi/pulumi/cmd/run/index.js"), false);
    assert.equal(launchedAsPlugin("/repo/node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js"), false);
    assert.equal(launchedAsPlugin("/repo/node_modules/mocha/bin/mocha.js"), false);
    assert.equal(launchedAsPlugin(""), false);
  });

  it("is false in this test process, so importing the package serves nothing", () => {
    assert.equal(launchedAsPlugin(), false);
  });
});
