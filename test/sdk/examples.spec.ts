/**
 * The examples and the root stack, checked without the Pulumi CLI: the YAML and Python programs
 * pass only inputs the schema declares (in each language's spelling) and read only its outputs;
 * the root Pulumi.yaml is a ready stack whose program deploys the defaults.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MASTODON_CLUSTER_TOKEN, PackageSpec, PropertySpec } from "../../provider/schema";
import { SCHEMA_PATH } from "../../scripts/schema";
import { runPolicies } from "../../policy/check";
import { runProgram, runProgramModule } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { ROOT } from "./sources";

// js-yaml is a dependency of @pulumi/pulumi (it reads Pulumi.yaml files too); it ships no types.
const yaml = require(require.resolve("js-yaml", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] })) as { load(text: string): any };

const schema: PackageSpec = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8"));
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const read = (...p: string[]) => fs.readFileSync(path.join(ROOT, ...p), "utf8");
const loadYaml = (...p: string[]) => yaml.load(read(...p));

const typeOf = (prop: PropertySpec) => {
  const ref = prop.$ref ?? prop.items?.$ref;
  return ref ? schema.types[ref.replace("#/types/", "")] : undefined;
};

/** Problems with `props`, given to an object with `inputs` (schema spelling); nested objects are checked against their types. */
function checkYamlProperties(where: string, props: Record<string, unknown>, inputs: Record<string, PropertySpec>, required: string[]): string[] {
  const problems = required.filter((k) => !(k in props)).map((k) => `${where}: missing required ${k}`);
  for (const [key, value] of Object.entries(props)) {
    const prop = inputs[key];
    if (!prop) {
      problems.push(`${where}.${key}: not an input (expected one of ${Object.keys(inputs).join(", ")})`);
      continue;
    }
    const type = typeOf(prop);
    if (!type || typeof value !== "object" || value === null) continue;
    const elements = Array.isArray(value) ? value : [value];
    elements.forEach((e, i) => {
      if (typeof e === "object" && e !== null) {
        problems.push(...checkYamlProperties(Array.isArray(value) ? `${where}.${key}[${i}]` : `${where}.${key}`, e, type.properties, type.required));
      }
    });
  }
  return problems;
}

/** "mastodon:MastodonCluster" and "mastodon:index:MastodonCluster" both name the resource. */
const tokenOf = (type: string) => (type.split(":").length === 2 ? type.replace(":", ":index:") : type);

/** The argument texts of every call to `callee` in Python source (balanced parentheses, quoted strings skipped). */
function pythonCalls(source: string, callee: string): string[] {
  const calls: string[] = [];
  const pattern = new RegExp(`${callee.replace(/\./g, "\\.")}\\(`, "g");
  for (let m = pattern.exec(source); m; m = pattern.exec(source)) {
    let depth = 1;
    let quote: string | undefined;
    let i = m.index + m[0].length;
    for (; i < source.length && depth > 0; i++) {
      const c = source[i];
      if (quote) {
        if (c === "\\") i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") depth--;
    }
    calls.push(source.slice(m.index + m[0].length, i - 1));
  }
  return calls;
}

/** The keyword arguments of a call's argument text (top-level `name=value`). */
function keywordArguments(args: string): { name: string; value: string }[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) {
      parts.push(args.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(args.slice(start));
  return parts.map((p) => /^\s*([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]*?)\s*$/.exec(p)).filter((m): m is RegExpExecArray => m !== null).map((m) => ({ name: m[1], value: m[2] }));
}

const camelCase = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Problems with the keyword arguments of a Python call, given to an object with `inputs`; `Module.XArgs(...)` values are checked against type X. */
function checkPythonArguments(where: string, args: string, module: string, inputs: Record<string, PropertySpec>, required: string[]): string[] {
  const given = keywordArguments(args);
  const names = given.map((a) => camelCase(a.name));
  const problems = required.filter((k) => !names.includes(k)).map((k) => `${where}: missing required ${k}`);
  for (const { name, value } of given) {
    const prop = inputs[camelCase(name)];
    if (!prop) {
      problems.push(`${where}: keyword ${name} is no input (${camelCase(name)} is not in the schema)`);
      continue;
    }
    const nested = new RegExp(`^${module}\\.(\\w+)Args\\(`).exec(value);
    if (nested) {
      const type = schema.types[`${schema.name}:index:${nested[1]}`];
      if (!type || typeOf(prop) !== type) problems.push(`${where}: ${name} takes ${prop.$ref}, not ${nested[1]}Args`);
      else problems.push(...checkPythonArguments(`${where}.${name}`, pythonCalls(value, `${module}.${nested[1]}Args`)[0], module, type.properties, type.required));
    }
  }
  return problems;
}

describe("examples", () => {
  const cluster = schema.resources[MASTODON_CLUSTER_TOKEN];

  describe("examples/yaml", () => {
    const project = loadYaml("examples", "yaml", "Pulumi.yaml");

    it("is a Pulumi YAML project using provider/ as the local package `mastodon`", () => {
      assert.equal(project.runtime, "yaml");
      assert.equal(project.packages?.mastodon, "../../provider");
      const plugin = path.resolve(ROOT, "examples", "yaml", project.packages.mastodon);
      assert.equal(plugin, path.join(ROOT, "provider"));
      assert.match(read("provider", "PulumiPlugin.yaml"), /^runtime: nodejs$/m);
    });

    it("creates a MastodonCluster, passing only inputs the schema declares", () => {
      const resources = Object.entries<any>(project.resources ?? {}).filter(([, r]) => tokenOf(r.type) === MASTODON_CLUSTER_TOKEN);
      assert.equal(resources.length, 1, "one MastodonCluster");
      for (const [name, r] of resources) {
        assert.equal(r.type, "mastodon:MastodonCluster");
        assert.deepEqual(checkYamlProperties(name, r.properties ?? {}, cluster.inputProperties, cluster.requiredInputs), []);
      }
    });

    it("deploys social.example by default", () => {
      assert.equal(project.resources.social.properties.domain, "${domain}");
      assert.equal(project.config.domain.default, "social.example");
    });

    it("exports only outputs the schema declares, every one of them", () => {
      const read = Object.values<string>(project.outputs ?? {}).map((v) => /^\$\{social\.(\w+)\}$/.exec(v)?.[1]);
      assert.deepEqual(read.filter((o) => !o || !(o in cluster.properties)), []);
      assert.deepEqual([...read].sort(), Object.keys(cluster.properties).sort());
    });

    it("the checker it uses refuses an unknown input, a misspelt nested one and a missing domain", () => {
      const problems = checkYamlProperties("social", { domian: "x", web: { replica: 2 } }, cluster.inputProperties, cluster.requiredInputs);
      assert.deepEqual(problems, [
        "social: missing required domain",
        `social.domian: not an input (expected one of ${Object.keys(cluster.inputProperties).join(", ")})`,
        "social.web.replica: not an input (expected one of replicas, autoscaling, processes, threads, dbPool, resources)",
      ]);
    });
  });

  describe("examples/python", () => {
    const project = loadYaml("examples", "python", "Pulumi.yaml");
    const main = read("examples", "python", "__main__.py");
    const module = "mastodon";

    it("is a Python project using provider/ as the local package `mastodon`", () => {
      assert.equal(project.runtime.name, "python");
      assert.equal(project.packages?.mastodon, "../../provider");
      assert.match(read("examples", "python", "requirements.txt"), /^pulumi>=3\.\d+/m);
    });

    it("imports the SDK under the name `pulumi package add` generates: pulumi_<package>", () => {
      assert.match(main, new RegExp(`^import pulumi_${schema.name} as ${module}$`, "m"));
    });

    it("passes only inputs the schema declares, in snake_case", () => {
      const calls = pythonCalls(main, `${module}.MastodonCluster`);
      assert.equal(calls.length, 1, "one MastodonCluster");
      assert.deepEqual(checkPythonArguments("MastodonCluster", calls[0], module, cluster.inputProperties, cluster.requiredInputs), []);
    });

    it("reads only outputs the schema declares, and exports every one", () => {
      const variable = new RegExp(`^(\\w+)\\s*=\\s*${module}\\.MastodonCluster\\(`, "m").exec(main)?.[1];
      assert.ok(variable, "the MastodonCluster is assigned to a variable");
      const code = main.replace(/"""[\s\S]*?"""|'[^'\n]*'|"[^"\n]*"/g, '""');
      const attributes = [...code.matchAll(new RegExp(`\\b${variable}\\.(\\w+)`, "g"))].map((m) => camelCase(m[1]));
      assert.deepEqual(attributes.filter((a) => !(a in cluster.properties)), []);
      assert.deepEqual([...new Set(attributes)].sort(), Object.keys(cluster.properties).sort());
    });

    it("the checker it uses refuses an unknown keyword and a wrong nested Args type", () => {
      const source = `mastodon.MastodonCluster("s", domain="d", web_replicas=2, web=mastodon.WebArgs(replicas=2, thread=5), redis=mastodon.WebArgs())`;
      assert.deepEqual(checkPythonArguments("MastodonCluster", pythonCalls(source, "mastodon.MastodonCluster")[0], module, cluster.inputProperties, cluster.requiredInputs), [
        "MastodonCluster: keyword web_replicas is no input (webReplicas is not in the schema)",
        "MastodonCluster.web: keyword thread is no input (thread is not in the schema)",
        "MastodonCluster: redis takes #/types/mastodon:index:Redis, not WebArgs",
      ]);
    });
  });

  describe("the root stack (Pulumi.yaml)", () => {
    const project = loadYaml("Pulumi.yaml");

    it("runs the TypeScript program of examples/basic, which uses the provider's sources", () => {
      assert.equal(project.runtime.name ?? project.runtime, "nodejs");
      const program = path.join(ROOT, project.main);
      assert.ok(fs.existsSync(path.join(program, "index.ts")), `${project.main}index.ts exists`);
      assert.match(read(project.main, "index.ts"), /from "\.\.\/\.\.\/provider"/);
    });

    it("keeps its state on a local file:// backend: no account needed", () => {
      assert.match(project.backend?.url ?? "", /^file:\/\//);
    });

    it("takes the domain from stack config, social.example by default", () => {
      assert.equal(project.config.domain.type, "string");
      assert.equal(project.config.domain.default, "social.example");
    });

    it("deploys with the policy pack of policy/ applied (`npm run deploy`)", () => {
      // After the CLI check (scripts/pulumiCli.ts), the stack "dev" is selected, or created on first use, then
      // updated with the pack.
      const afterCheck = (script: string) => script.replace(/^ts-node --transpile-only scripts\/pulumiCli\.ts "[^"]*" && /, "");
      assert.match(afterCheck(rootPackage.scripts.deploy), /^pulumi stack select --create dev && pulumi up\b.*--policy-pack policy\b/);
      assert.match(afterCheck(rootPackage.scripts.preview), /^pulumi stack select --create dev && pulumi preview\b.*--policy-pack policy\b/);
      assert.match(read("policy", "PulumiPolicy.yaml"), /^runtime: nodejs$/m);
    });

    it("deploys one MastodonCluster \"social\" for social.example with the defaults", async () => {
      const { result, resources } = await runProgram(() => require(path.join(ROOT, project.main)));
      const component = resources.find((r) => r.type === MASTODON_CLUSTER_TOKEN);
      assert.ok(component, "a MastodonCluster is registered");
      assert.equal(component.name, "social");
      assert.equal(await new Promise((resolve) => (result.url as pulumi.Output<string>).apply(resolve)), "https://social.example/");
      assert.deepEqual(Object.keys(result).sort(), Object.keys(cluster.properties).sort(), "exports every output");
      // What it deploys is schema-valid and passes the policy pack it is deployed with.
      assert.deepEqual(await schemaErrors(resources), []);
      assert.deepEqual(runPolicies(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }))), []);
    });

    it("turns public with `egressGateway`, passing the pack with policy-config.public.json and failing it without", async () => {
      assert.deepEqual({ type: project.config.egressGateway.type, default: project.config.egressGateway.default }, { type: "boolean", default: false });
      const program = require.resolve(path.join(ROOT, project.main));
      const { resources } = await runProgramModule(program, { egressGateway: "true" });
      const view = resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
      assert.ok(resources.some((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "social-egress-gateway"), "the instance runs its gateway");
      const publicConfig = JSON.parse(read("policy-config.public.json"))["networkpolicy-egress-outside-cluster"];
      assert.deepEqual(runPolicies(view, publicConfig), []);
      const without = runPolicies(view);
      assert.deepEqual([...new Set(without.map((f) => `${f.policy} ${f.resource.split("::").pop()}`))], ["networkpolicy-egress-outside-cluster social-egress-gateway"]);
    });
  });

  describe("npm scripts", () => {
    it("`npm run schema` writes sdk/schema.json without the Pulumi CLI", () => {
      assert.equal(rootPackage.scripts.schema, "ts-node --transpile-only scripts/schema.ts");
    });

    it("`npm run gen-sdk` fails with a clear message when the Pulumi CLI is absent", function () {
      this.timeout(30_000);
      const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
      try {
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/gen-sdk.ts"], {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, PATH: emptyPath },
        });
        assert.equal(run.status, 1, run.stderr);
        assert.match(run.stderr, /^gen-sdk: `npm run gen-sdk` needs the Pulumi CLI \([0-9.]+ or newer\), and `pulumi` is not on PATH\./);
        assert.match(run.stderr, /sdk\/schema\.json \(`npm run schema`\) needs no CLI/);
        assert.match(rootPackage.scripts["gen-sdk"], /scripts\/gen-sdk\.ts$/);
      } finally {
        fs.rmSync(emptyPath, { recursive: true, force: true });
      }
    });
  });
});
