/**
 * The package as Python, Go, .NET and YAML programs reach it: the engine hands the provider plain
 * JSON inputs and calls `construct`. These specs drive the provider the plugin serves the same way
 * on the mock runtime, and check it builds the same instance and fails with the same messages
 * as `new MastodonCluster(...)` in TypeScript.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster } from "../../provider";
import { MASTODON_CLUSTER_TOKEN, MastodonProvider } from "../../provider/schema";
import { RecordedResource, runProgram } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";

/** The value of an Output (the mocks run in update mode, so every output resolves). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Whether `r` sits under the resource `ancestor` (its parent, its parent's parent, ...). */
function isDescendant(r: RecordedResource, ancestor: string, byUrn: Map<string, RecordedResource>): boolean {
  for (let parent = r.parent; parent; parent = byUrn.get(parent)?.parent ?? "") {
    if (parent === ancestor) return true;
  }
  return false;
}

/** Workers as a Python program would pass them: dicts of JSON values. */
const WORKERS = [
  { name: "default", queues: ["default,8", "push,6", "ingress,4", "mailers,2", "pull", "fasp"], concurrency: 5 },
  { name: "scheduler", queues: ["scheduler"], concurrency: 2 },
];

describe("the provider, driven as another language's program drives it", () => {
  const provider = new MastodonProvider();

  before(async function () {
    this.timeout(120_000);
    // construct reads the component's outputs from the schema: infer it once.
    await provider.getSchema();
  });

  /** Constructs a MastodonCluster from plain inputs; returns what construct returned and what was registered. */
  async function construct(name: string, inputs: Record<string, unknown>) {
    const { result, resources } = await runProgram(() => provider.construct(name, MASTODON_CLUSTER_TOKEN, inputs as pulumi.Inputs, {}));
    const { urn, state } = await result;
    return { urn: await valueOf(urn as pulumi.Output<string>), state, resources };
  }

  /** The error construct rejects with, and the number of resources it registered first. */
  async function constructError(name: string, inputs: Record<string, unknown>) {
    const { result, resources } = await runProgram(() =>
      provider.construct(name, MASTODON_CLUSTER_TOKEN, inputs as pulumi.Inputs, {}).then(
        () => assert.fail("construct succeeded"),
        (e: Error) => e,
      ));
    return { error: await result, registered: resources.length };
  }

  /** The message `new MastodonCluster(...)` throws for the same args in TypeScript. */
  function typescriptError(name: string, inputs: Record<string, unknown>): string {
    try {
      new MastodonCluster(name, inputs as any);
    } catch (e) {
      return (e as Error).message;
    }
    return assert.fail("new MastodonCluster succeeded");
  }

  describe("with plain JSON inputs", () => {
    let built: Awaited<ReturnType<typeof construct>>;

    before(async () => {
      built = await construct("social", { domain: "social.example", web: { replicas: 2 }, sidekiqWorkers: WORKERS });
    });

    it("registers the component under the type the schema names", () => {
      const component = built.resources.find((r) => r.urn === built.urn);
      assert.ok(component, "the component itself is registered");
      assert.equal(component.type, MASTODON_CLUSTER_TOKEN);
      assert.equal(component.custom, false);
    });

    it("creates the instance's workloads, migration Jobs and NetworkPolicies", () => {
      const named = (type: string) => built.resources.filter((r) => r.type === type).map((r) => r.state.metadata.name as string);
      const deployments = named("kubernetes:apps/v1:Deployment");
      assert.equal(deployments.length, 4, `web, streaming and one per sidekiq worker group; got ${deployments.join(", ")}`);
      assert.ok(deployments.some((n) => n.includes("sidekiq-default")), `a Deployment for worker group "default" in ${deployments.join(", ")}`);
      assert.ok(deployments.some((n) => n.includes("sidekiq-scheduler")), `a Deployment for worker group "scheduler" in ${deployments.join(", ")}`);
      assert.equal(named("kubernetes:apps/v1:StatefulSet").length, 2, "embedded PostgreSQL and Redis");
      assert.ok(named("kubernetes:batch/v1:Job").length >= 2, "pre- and post-deployment migration Jobs");
      assert.ok(named("kubernetes:networking.k8s.io/v1:NetworkPolicy").length > 0, "NetworkPolicies");
    });

    it("passes the JSON values through to the objects (web replicas)", () => {
      const web = built.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("-web"));
      assert.ok(web, "a web Deployment");
      assert.equal(web.inputs.spec.replicas, 2);
    });

    it("parents every resource it creates under the component", () => {
      const byUrn = new Map(built.resources.map((r) => [r.urn, r]));
      const strays = built.resources.filter((r) => r.urn !== built.urn && !isDescendant(r, built.urn, byUrn));
      assert.deepEqual(strays.map((r) => `${r.type} ${r.name}`), []);
    });

    it("creates only Kubernetes objects that are valid against the API schemas", async () => {
      assert.deepEqual(await schemaErrors(built.resources), []);
    });

    it("returns every output the schema declares, resolved", async () => {
      const schema = JSON.parse(await provider.getSchema());
      const declared = Object.keys(schema.resources[MASTODON_CLUSTER_TOKEN].properties).sort();
      assert.deepEqual(Object.keys(built.state).sort(), declared);
      const values: Record<string, unknown> = {};
      for (const key of declared) values[key] = await valueOf(built.state[key] as pulumi.Output<unknown>);
      assert.equal(values.url, "https://social.example/");
      assert.equal(values.namespace, "social");
      assert.equal(values.version, "v4.6.6");
      assert.match(values.webServiceName as string, /^social-web/);
      assert.match(values.streamingServiceName as string, /^social-streaming/);
      assert.match(values.adminCommand as string, /^kubectl --namespace social exec deployment\/social-web .*tootctl accounts create owner --email owner@social\.example/);
      for (const key of declared) assert.equal(typeof values[key], "string", `output ${key}`);
    });
  });

  it("accepts secrets as the generated SDKs send them: secret Outputs inside plain objects", async () => {
    const { resources } = await construct("mail", {
      domain: "mail.example",
      smtp: { server: "mailpit.mail", login: "mastodon", password: pulumi.secret("smtp-password") },
      secrets: { secretKeyBase: pulumi.secret("a".repeat(128)) },
    });
    const envSecret = resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.stringData?.SMTP_PASSWORD !== undefined);
    assert.ok(envSecret, "a Secret holding SMTP_PASSWORD");
    assert.equal(envSecret.inputs.stringData.SMTP_PASSWORD, "smtp-password");
    assert.ok(envSecret.secretInputPaths.includes("stringData"), `stringData is sent as a secret (secret paths: ${envSecret.secretInputPaths.join(", ")})`);
  });

  describe("with bad JSON inputs, fails as TypeScript does, before creating anything", () => {
    const cases: { title: string; inputs: Record<string, unknown>; expected: RegExp }[] = [
      {
        title: "a domain that is not a DNS name",
        inputs: { domain: "Bad_Domain" },
        expected: /args\.domain: got "Bad_Domain"; expected a lowercase DNS name/,
      },
      {
        title: "an unknown key",
        inputs: { domain: "social.example", replicas: 3 },
        expected: /args: unknown key "replicas"; expected only domain, webDomain, /,
      },
      {
        title: "a queue Mastodon does not have",
        inputs: { domain: "social.example", sidekiqWorkers: [{ name: "all", queues: ["default", "push", "ingress", "mailer", "pull", "scheduler", "fasp"] }] },
        expected: /args\.sidekiqWorkers\[0\]\.queues\[3\]: got "mailer"; expected /,
      },
      {
        title: "a number where an object is expected",
        inputs: { domain: "social.example", web: 2 },
        expected: /args\.web: got 2; expected an object/,
      },
    ];

    for (const c of cases) {
      it(`${c.title}: ${c.expected.source.replace(/\\/g, "")}`, async () => {
        const { error, registered } = await constructError("social", c.inputs);
        assert.match(error.message, c.expected);
        assert.match(error.message, /^MastodonCluster "social": invalid args:/);
        assert.equal(error.message, typescriptError("social", c.inputs));
        assert.equal(registered, 0, "nothing is registered");
      });
    }

    it("a missing domain", async () => {
      const { error } = await constructError("social", {});
      assert.match(error.message, /args\.domain: got undefined; expected /);
      assert.equal(error.message, typescriptError("social", {}));
    });

    it("a secret's value never appears in the message", async () => {
      const inputs = { domain: "social.example", smtp: { server: "mailpit.mail", password: "" }, secrets: { secretKeyBase: 42 } };
      const { error } = await constructError("social", inputs);
      assert.match(error.message, /args\.secrets\.secretKeyBase: got \[secret\]/);
      assert.doesNotMatch(error.message, /42/);
      assert.equal(error.message, typescriptError("social", inputs));
    });
  });
  it("refuses a second default instance of the same deployment, which would install cert-manager twice", async () => {
    const { result } = await runProgram(async () => {
      await provider.construct("one", MASTODON_CLUSTER_TOKEN, { domain: "one.fediverse.test" }, {});
      return provider.construct("two", MASTODON_CLUSTER_TOKEN, { domain: "two.fediverse.test" }, {}).then(
        () => assert.fail("construct succeeded"),
        (e: Error) => e,
      );
    });
    assert.match((await result).message, /^MastodonCluster "two": invalid args:\n {2}- args\.tls\.installCertManager: got true \(the default\); expected false: MastodonCluster "one" already installs cert-manager/);
  });
});
