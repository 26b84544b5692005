import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MastodonCluster } from "../../provider";
import { runProgram } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, deploy, valueOf } from "../harness/stack";

describe("MastodonCluster from defaults alone", () => {
  let stack: Stack;
  let cluster: MastodonCluster;
  before(async () => {
    ({ stack, cluster } = await deploy({ domain: "social.example" }));
  });

  it("creates the data tier, the processes, the migrations, TLS, routes and network policies", () => {
    const expected: [string, string][] = [
      [KIND.Namespace, "social"],
      [KIND.StatefulSet, "social-postgresql"],
      [KIND.Service, "social-postgresql"],
      [KIND.PersistentVolumeClaim, "social-postgresql-data"],
      [KIND.StatefulSet, "social-redis"],
      [KIND.Service, "social-redis"],
      [KIND.PersistentVolumeClaim, "social-redis-data"],
      [KIND.PersistentVolumeClaim, "social-media"],
      [KIND.Deployment, "social-web"],
      [KIND.Service, "social-web"],
      [KIND.Deployment, "social-streaming"],
      [KIND.Service, "social-streaming"],
      [KIND.Deployment, "social-sidekiq-default"],
      [KIND.Job, "social-db-migrate-pre"],
      [KIND.Job, "social-db-migrate-post"],
      [KIND.ConfigMap, "social-env"],
      [KIND.Secret, "social-env"],
      [KIND.Certificate, "social-tls"],
      [KIND.IngressRoute, "social-https"],
      [KIND.IngressRoute, "social-http-redirect"],
      [KIND.NetworkPolicy, "social-default-deny"],
    ];
    for (const [type, name] of expected) assert.ok(stack.find(type, name), `missing ${type} ${name}`);
  });

  it("parents every child to the component", () => {
    const component = stack.get("mastodon:index:MastodonCluster", "social");
    const children = stack.resources.filter((r) => r !== component);
    assert.ok(children.length > 30);
    for (const r of children) assert.equal(r.parent, component.urn, `${r.type} ${r.name} is not a child of the component`);
  });

  it("produces Kubernetes objects that are valid against the official OpenAPI schemas", async () => {
    assert.deepEqual(await schemaErrors(stack.resources), []);
  });

  it("derives every object's name from the component's name", () => {
    for (const r of stack.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      assert.match(r.name, /^social(-|$)/);
      assert.match(r.state.metadata.name, /^social(-|$)/, `${r.type} ${r.name} is named ${r.state.metadata.name}`);
    }
  });

  it("puts every namespaced object in the instance's namespace", () => {
    for (const r of stack.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== KIND.Namespace)) {
      assert.equal(r.state.metadata.namespace, "social", `${r.type} ${r.name}`);
    }
  });

  it("runs the pinned default version's images", () => {
    const image = (type: string, name: string) => stack.get(type, name).inputs.spec.template.spec.containers[0].image;
    assert.equal(image(KIND.Deployment, "social-web"), "ghcr.io/mastodon/mastodon:v4.6.6");
    assert.equal(image(KIND.Deployment, "social-sidekiq-default"), "ghcr.io/mastodon/mastodon:v4.6.6");
    assert.equal(image(KIND.Job, "social-db-migrate-pre"), "ghcr.io/mastodon/mastodon:v4.6.6");
    assert.equal(image(KIND.Deployment, "social-streaming"), "ghcr.io/mastodon/mastodon-streaming:v4.6.6");
  });

  it("returns the URL, namespace, Service names and the first-admin command", async () => {
    assert.equal(await valueOf(cluster.url), "https://social.example/");
    assert.equal(await valueOf(cluster.namespace), "social");
    assert.equal(await valueOf(cluster.webServiceName), "social-web");
    assert.equal(await valueOf(cluster.streamingServiceName), "social-streaming");
    assert.equal(await valueOf(cluster.version), "v4.6.6");
    const admin = await valueOf(cluster.adminCommand);
    assert.match(admin, /^kubectl --namespace social exec deployment\/social-web -- /);
    assert.match(admin, /tootctl accounts create owner --email owner@social\.example --confirmed --role Owner/);
    assert.match(admin, /tootctl accounts approve owner/);
  });

  it("gives a first-admin command that runs as the README says, through eval, with its arguments intact", async () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    assert.ok(readme.includes('eval "$(pulumi stack output adminCommand)"'), "the README no longer runs it through eval");
    // A stand-in kubectl prints each argument it receives on a line of its own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
    fs.writeFileSync(path.join(dir, "kubectl"), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
    const run = childProcess.spawnSync("sh", ["-c", 'eval "$ADMIN_COMMAND"'], {
      env: { PATH: `${dir}:${process.env.PATH}`, ADMIN_COMMAND: await valueOf(cluster.adminCommand) },
      encoding: "utf8",
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), [
      "--namespace", "social", "exec", "deployment/social-web", "--", "sh", "-c",
      "tootctl accounts create owner --email owner@social.example --confirmed --role Owner && tootctl accounts approve owner",
    ]);
  });
});

describe("MastodonCluster images", () => {
  it("derives every image from one repository override and the version", async () => {
    const { stack } = await deploy({ domain: "social.example", version: "v4.5.2", imageRepository: "registry.lab/mastodon", streamingImageRepository: "registry.lab/streaming" });
    const images = stack.workloads()
      .filter((r) => r.type !== KIND.StatefulSet)
      .map((r) => r.inputs.spec.template.spec.containers[0].image);
    assert.deepEqual([...new Set(images)].sort(), ["registry.lab/mastodon:v4.5.2", "registry.lab/streaming:v4.5.2"]);
  });

  it("runs streaming from the main image with `node ./streaming` before 4.3", async () => {
    const { stack } = await deploy({ domain: "social.example", version: "v4.2.17" });
    const container = stack.get(KIND.Deployment, "social-streaming").inputs.spec.template.spec.containers[0];
    assert.equal(container.image, "ghcr.io/mastodon/mastodon:v4.2.17");
    assert.deepEqual(container.command, ["node", "./streaming"]);
  });

  it("runs streaming from its own image from 4.3", async () => {
    const { stack } = await deploy({ domain: "social.example", version: "v4.3.0" });
    const container = stack.get(KIND.Deployment, "social-streaming").inputs.spec.template.spec.containers[0];
    assert.equal(container.image, "ghcr.io/mastodon/mastodon-streaming:v4.3.0");
    assert.deepEqual(container.command, ["node", "./streaming/index.js"]);
  });
});

describe("MastodonCluster with invalid args", () => {
  it("registers no resource at all, not even itself", async () => {
    let error: Error | undefined;
    const { resources } = await runProgram(() => {
      try {
        return new MastodonCluster("social", { domain: "not a domain" });
      } catch (e) {
        error = e as Error;
        return undefined;
      }
    });
    assert.match(error!.message, /args\.domain: got "not a domain"; expected a lowercase DNS name/);
    assert.deepEqual(resources, []);
  });
});
