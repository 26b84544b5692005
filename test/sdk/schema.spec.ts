/**
 * sdk/schema.json, the contract every other language's SDK is generated from: current with the
 * provider, fully documented, secrets marked, and made only of our own documented interfaces.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as ts from "typescript";
import * as provider from "../../provider";
import { MASTODON_CLUSTER_TOKEN, PackageSpec, PropertySpec, SECRET_INPUTS, markSecrets } from "../../provider/schema";
import { SCHEMA_PATH, renderSchema } from "../../scripts/schema";
import { PROVIDER_DIR, kubernetesInputTypes, reachableInterfaces, readProviderSources, referencedNames } from "./sources";

const committedText = fs.readFileSync(SCHEMA_PATH, "utf8");
const schema: PackageSpec = JSON.parse(committedText);
const sources = readProviderSources();
const providerPackage = JSON.parse(fs.readFileSync(path.join(PROVIDER_DIR, "package.json"), "utf8"));
const PREFIX = `${schema.name}:index:`;

/** Every property of the schema, named as a reader finds it: "MastodonCluster.domain", "Web.replicas". */
function everyProperty(): { where: string; prop: PropertySpec; required: boolean }[] {
  const all: { where: string; prop: PropertySpec; required: boolean }[] = [];
  for (const [token, r] of Object.entries(schema.resources)) {
    const name = token.slice(PREFIX.length);
    for (const [k, prop] of Object.entries(r.inputProperties)) all.push({ where: `${name}.${k}`, prop, required: r.requiredInputs.includes(k) });
  }
  for (const [token, t] of Object.entries(schema.types)) {
    for (const [k, prop] of Object.entries(t.properties)) all.push({ where: `${token.slice(PREFIX.length)}.${k}`, prop, required: t.required.includes(k) });
  }
  return all;
}

function outputs(): { where: string; prop: PropertySpec }[] {
  return Object.entries(schema.resources).flatMap(([token, r]) =>
    Object.entries(r.properties).map(([k, prop]) => ({ where: `${token.slice(PREFIX.length)} output ${k}`, prop })));
}

/** The first line where two texts differ, to say what is stale. */
function firstDifference(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  const i = al.findIndex((line, n) => line !== bl[n]);
  const at = i === -1 ? al.length : i;
  return `line ${at + 1}: committed ${JSON.stringify(al[at])}, provider gives ${JSON.stringify(bl[at])}`;
}


/** The secrets, as a reader of the schema should find them marked. */
const EXPECTED_SECRETS = [
  "BackupS3.accessKeyId",
  "BackupS3.secretAccessKey",
  "CloudNativePgBackup.secretAccessKey",
  "ExternalPostgresql.password",
  "ExternalRedis.password",
  "ExternalSearch.password",
  "MastodonSecrets.activeRecordEncryptionDeterministicKey",
  "MastodonSecrets.activeRecordEncryptionKeyDerivationSalt",
  "MastodonSecrets.activeRecordEncryptionPrimaryKey",
  "MastodonSecrets.adminPassword",
  "MastodonSecrets.otpSecret",
  "MastodonSecrets.postgresqlPassword",
  "MastodonSecrets.postgresqlSuperuserPassword",
  "MastodonSecrets.redisPassword",
  "MastodonSecrets.secretKeyBase",
  "MastodonSecrets.vapidPrivateKey",
  "MastodonSecrets.vapidPublicKey",
  "S3Storage.secretAccessKey",
  "Smtp.password",
];

describe("sdk/schema.json", () => {
  it("is what `npm run schema` writes from provider/ now (run it after changing args or outputs)", async function () {
    this.timeout(120_000);
    const fresh = await renderSchema();
    assert.ok(committedText === fresh, `sdk/schema.json is stale: run \`npm run schema\` (${firstDifference(committedText, fresh)})`);
  });

  it("names the package and its version as provider/package.json does", () => {
    assert.equal(schema.name, "mastodon");
    assert.equal(schema.name, providerPackage.name);
    assert.equal(schema.version, providerPackage.version);
  });

  it("holds one component resource per component class provider/index.ts exports", () => {
    assert.ok(schema.resources[MASTODON_CLUSTER_TOKEN], `${MASTODON_CLUSTER_TOKEN} is in the schema`);
    const exported = getPulumiComponents(provider).map((c) => c.name).sort();
    assert.deepEqual(Object.keys(schema.resources).map((t) => t.slice(PREFIX.length)).sort(), exported);
    for (const r of Object.values(schema.resources)) assert.equal(r.isComponent, true);
  });

  it("describes every component (from its class doc)", () => {
    const problems: string[] = [];
    for (const [token, r] of Object.entries(schema.resources)) {
      const name = token.slice(PREFIX.length);
      if (!r.description?.trim()) problems.push(`${name} has no description: give its class a /** */ doc`);
    }
    assert.deepEqual(problems, []);
  });

  it("describes every input and output of every component and every property of every type", () => {
    const undocumented = [...everyProperty(), ...outputs()].filter(({ prop }) => !prop.description?.trim()).map(({ where }) => where);
    assert.deepEqual(undocumented, []);
  });

  it("states the default of every optional input and says `Required` of every required one", () => {
    const statesDefault = (d: string) => /Defaults?\s+to\b/.test(d);
    const problems: string[] = [];
    for (const { where, prop, required } of everyProperty()) {
      const doc = prop.description ?? "";
      if (required && !/\bRequired\./.test(doc)) problems.push(`${where} is required but its doc does not say "Required."`);
      if (!required && /\bRequired\./.test(doc)) problems.push(`${where} is optional but its doc says "Required."`);
      if (!required && !statesDefault(doc)) problems.push(`${where} does not state its default ("Defaults to ...")`);
    }
    assert.deepEqual(problems, []);
  });

  it("requires `domain` and no other input of MastodonCluster", () => {
    assert.deepEqual(schema.resources[MASTODON_CLUSTER_TOKEN].requiredInputs, ["domain"]);
  });

  describe("secrets", () => {
    const secretOnes = () => everyProperty().filter(({ prop }) => prop.secret === true);

    it("marks secret exactly the inputs the component keeps as Pulumi secrets", () => {
      assert.deepEqual(secretOnes().map(({ where }) => where).sort(), EXPECTED_SECRETS);
    });

    it("marks them with the same function the served schema uses (provider/schema.ts)", () => {
      const unmarked = JSON.parse(committedText, (key, value) => (key === "secret" ? undefined : value));
      assert.deepEqual(markSecrets(unmarked, SECRET_INPUTS), schema);
    });

    it("marks only inputs that take Outputs: an SDK sends a secret as a secret Output", () => {
      assert.deepEqual(secretOnes().filter(({ prop }) => prop.plain).map(({ where }) => where), []);
      assert.deepEqual(secretOnes().filter(({ prop }) => prop.type !== "string").map(({ where }) => where), []);
    });

    it("leaves no password, secret key or member of `secrets` unmarked", () => {
      const looksSecret = /(^MastodonSecrets\.|password|secretAccessKey|privateKey)/i;
      assert.deepEqual(everyProperty().filter(({ where, prop }) => looksSecret.test(where) && !prop.secret).map(({ where }) => where), []);
    });

    it("rejects a secret path that names no input, so a rename cannot drop a mark silently", () => {
      assert.throws(() => markSecrets(schema, { [MASTODON_CLUSTER_TOKEN]: ["smtp.passwd"] }), /has no input smtp\.passwd/);
      assert.throws(() => markSecrets(schema, { [MASTODON_CLUSTER_TOKEN]: ["domain.x"] }), /domain of .* is not an object/);
    });
  });

  describe("types", () => {
    const ourTypes = () => Object.keys(schema.types).map((t) => t.slice(PREFIX.length));

    it("come only from the args interfaces of provider/, each with that interface's properties and required ones", () => {
      const problems: string[] = [];
      for (const name of ourTypes()) {
        const source = sources.interfaces.get(name);
        if (!source) {
          problems.push(`${name}: no exported interface of provider/ has this name (a copied Kubernetes type?)`);
          continue;
        }
        const t = schema.types[PREFIX + name];
        assert.deepEqual(Object.keys(t.properties).sort(), source.properties.map((p) => p.name).sort(), `properties of ${name} (${source.file})`);
        assert.deepEqual([...t.required].sort(), source.properties.filter((p) => !p.optional).map((p) => p.name).sort(), `required properties of ${name}`);
      }
      assert.deepEqual(problems, []);
    });

    it("include every interface reachable from a component's args", () => {
      const reachable = new Set<string>();
      for (const c of sources.components.values()) {
        for (const i of reachableInterfaces(sources, c.argsType ?? "")) if (i.name !== c.argsType) reachable.add(i.name);
      }
      assert.deepEqual(ourTypes().sort(), [...reachable].sort());
    });

    it("are referred to by the name of the interface each property is typed with", () => {
      const problems: string[] = [];
      const check = (where: string, props: { [k: string]: PropertySpec }, iface: string | undefined) => {
        for (const p of sources.interfaces.get(iface ?? "")?.properties ?? []) {
          const spec = props[p.name];
          const ref = spec?.$ref ?? spec?.items?.$ref;
          const named = referencedNames(p.type).filter((n) => sources.interfaces.has(n));
          const expected = named.length === 1 ? `#/types/${PREFIX}${named[0]}` : undefined;
          if (ref !== expected) problems.push(`${where}.${p.name}: refers to ${ref}, typed ${p.type?.getText()}`);
        }
      };
      for (const [token, r] of Object.entries(schema.resources)) check(token.slice(PREFIX.length), r.inputProperties, sources.components.get(token.slice(PREFIX.length))?.argsType);
      for (const [token, t] of Object.entries(schema.types)) check(token.slice(PREFIX.length), t.properties, token.slice(PREFIX.length));
      assert.deepEqual(problems, []);
    });

    it("shadow no Kubernetes type: a name shared with @pulumi/kubernetes holds our properties, none of Kubernetes'", function () {
      this.timeout(30_000);
      const kubernetes = kubernetesInputTypes();
      assert.ok(kubernetes.has("Toleration") && kubernetes.has("Ingress"), "read @pulumi/kubernetes's input types");
      for (const name of ourTypes().filter((n) => kubernetes.has(n))) {
        const ours = new Set(Object.keys(schema.types[PREFIX + name].properties));
        for (const theirs of kubernetes.get(name)!) {
          const borrowed = [...theirs].filter((p) => ours.has(p));
          assert.deepEqual(borrowed, [], `${name} shares a name with a Kubernetes type and holds its properties ${borrowed.join(", ")}`);
        }
      }
    });
  });

  describe("components", () => {
    it("take exactly the properties of their args interface as inputs, requiring the non-optional ones", () => {
      for (const [token, r] of Object.entries(schema.resources)) {
        const component = sources.components.get(token.slice(PREFIX.length))!;
        const args = sources.interfaces.get(component.argsType ?? "");
        assert.ok(args, `${component.name}'s args type ${component.argsType} is an exported interface`);
        assert.deepEqual(Object.keys(r.inputProperties).sort(), args.properties.map((p) => p.name).sort(), `inputs of ${component.name}`);
        assert.deepEqual([...r.requiredInputs].sort(), args.properties.filter((p) => !p.optional).map((p) => p.name).sort(), `required inputs of ${component.name}`);
      }
    });

    it("have exactly their public readonly fields as outputs, all always set", () => {
      for (const [token, r] of Object.entries(schema.resources)) {
        const component = sources.components.get(token.slice(PREFIX.length))!;
        const fields = component.fields.map((f) => f.name).sort();
        assert.deepEqual(Object.keys(r.properties).sort(), fields, `outputs of ${component.name}`);
        assert.deepEqual([...r.required].sort(), fields, `outputs of ${component.name} are always set`);
      }
    });
  });
});

describe("the sources the schema is inferred from (provider/)", () => {
  it("type every component's `args` with an exported interface", () => {
    for (const c of sources.components.values()) {
      assert.ok(c.argsType && sources.interfaces.has(c.argsType), `${c.name} (${c.file}): args is typed ${c.argsType}, not an exported interface`);
    }
  });

  it("use in args no union, type alias or inline object type other than a string map", () => {
    const problems: string[] = [];
    for (const c of sources.components.values()) {
      for (const i of reachableInterfaces(sources, c.argsType ?? "")) {
        problems.push(...i.otherMembers.map((m) => `${i.name}: member ${m} (only properties)`));
        for (const p of i.properties) {
          const where = `${i.name}.${p.name} (${i.file})`;
          const visit = (n: ts.Node) => {
            if (ts.isUnionTypeNode(n)) problems.push(`${where}: union ${n.getText()}`);
            if (ts.isTypeLiteralNode(n) && !(n.members.length === 1 && ts.isIndexSignatureDeclaration(n.members[0]) && n.members[0].type.kind === ts.SyntaxKind.StringKeyword)) {
              problems.push(`${where}: inline object type ${n.getText()}`);
            }
            n.forEachChild(visit);
          };
          if (p.type) visit(p.type);
          for (const ref of referencedNames(p.type)) if (sources.typeAliases.has(ref)) problems.push(`${where}: type alias ${ref}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("refer in args only to provider/'s own interfaces: a Kubernetes type would be copied into our namespace by name", () => {
    const problems = [...sources.components.values()]
      .flatMap((c) => reachableInterfaces(sources, c.argsType ?? ""))
      .flatMap((i) => i.properties.flatMap((p) => referencedNames(p.type)
        .filter((n) => n !== "pulumi.Input" && !sources.interfaces.has(n))
        .map((n) => `${i.name}.${p.name} (${i.file}): ${n}`)));
    assert.deepEqual(problems, []);
  });

  it("document every args property with a /** */ comment", () => {
    const undocumented = [...sources.components.values()]
      .flatMap((c) => reachableInterfaces(sources, c.argsType ?? ""))
      .flatMap((i) => i.properties.filter((p) => !p.doc?.trim()).map((p) => `${i.name}.${p.name} (${i.file})`));
    assert.deepEqual(undocumented, []);
  });

  it("declare no class field in a component beyond its documented `public readonly` Output", () => {
    const problems = [...sources.components.values()].flatMap((c) => c.fields
      .filter((f) => !f.publicReadonly || !f.doc?.trim() || !/^pulumi\.Output<.+>$/.test(f.type))
      .map((f) => `${c.name}.${f.name} (${c.file}): every class field becomes an output; keep internals in locals`));
    assert.deepEqual(problems, []);
  });
});
