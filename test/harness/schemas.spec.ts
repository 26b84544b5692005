import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as fc from "fast-check";
import { RecordedResource } from "./mocks";
import { isKubernetesObject, objectErrors, schemaErrors } from "./schemas";
import { deploy } from "./stack";

const meta = (name: string) => ({ name, namespace: "social", labels: { "app.kubernetes.io/name": "mastodon" } });

const middleware = () => ({
  apiVersion: "traefik.io/v1alpha1",
  kind: "Middleware",
  metadata: meta("social-headers"),
  spec: {
    headers: {
      stsSeconds: 31536000,
      // A map: any header name is a key.
      customResponseHeaders: { "X-Frame-Options": "DENY", "x-whatever.Else_1": "" },
    },
  },
});

const ingressRoute = () => ({
  apiVersion: "traefik.io/v1alpha1",
  kind: "IngressRoute",
  metadata: meta("social-web"),
  spec: {
    entryPoints: ["websecure"],
    routes: [{
      match: "Host(`social.example`)",
      kind: "Rule",
      middlewares: [{ name: "social-headers" }],
      services: [{ name: "social-web", port: 3000 }],
    }],
    tls: { secretName: "social-tls" },
  },
});

const certificate = () => ({
  apiVersion: "cert-manager.io/v1",
  kind: "Certificate",
  metadata: meta("social-tls"),
  spec: { secretName: "social-tls", dnsNames: ["social.example"], issuerRef: { name: "social-ca", kind: "Issuer", group: "cert-manager.io" } },
});

const issuer = () => ({
  apiVersion: "cert-manager.io/v1",
  kind: "Issuer",
  metadata: meta("social-acme"),
  spec: {
    acme: {
      server: "https://acme-v02.api.letsencrypt.org/directory",
      email: "admin@social.example",
      privateKeySecretRef: { name: "social-acme-key" },
      solvers: [
        { http01: { ingress: { ingressClassName: "traefik" } } },
        // A webhook's config is free-form JSON (x-kubernetes-preserve-unknown-fields).
        { dns01: { webhook: { groupName: "acme.example", solverName: "x", config: { anything: { nested: [1, { deep: true }] } } } } },
      ],
    },
  },
});

const deployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { ...meta("social-web"), annotations: { "pulumi.com/skipAwait": "true" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{
          name: "web",
          image: "ghcr.io/mastodon/mastodon:v4.3.0",
          env: [{ name: "RAILS_ENV", value: "production" }],
          ports: [{ name: "http", containerPort: 3000 }],
          resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
        }],
      },
    },
  },
});

/** `object` with `value` set at `path` (a copy). */
function withField(object: any, path: (string | number)[], value: unknown): any {
  const copy = structuredClone(object);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return copy;
}

const recorded = (object: any, name: string): RecordedResource => {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["core", object.apiVersion];
  return {
    urn: `urn:pulumi:test::mastodon-test::kubernetes:${group}/${version}:${object.kind}::${name}`,
    type: `kubernetes:${group}/${version}:${object.kind}`,
    name,
    parent: "",
    custom: true,
    remote: false,
    dependencies: [],
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    inputs: object,
    secretInputPaths: [],
    state: object,
  } as RecordedResource;
};

describe("strict schema validation", () => {
  it("accepts valid objects of every kind the component registers", async () => {
    for (const object of [middleware(), ingressRoute(), certificate(), issuer(), deployment()]) {
      assert.deepEqual(await objectErrors(object), [], `${object.kind} ${object.metadata.name}`);
    }
  });

  const bogus: [string, () => any, (string | number)[], string][] = [
    ["a Middleware field", middleware, ["spec", "bogus"], "Middleware social-headers: unknown field spec.bogus"],
    ["a Middleware headers field", middleware, ["spec", "headers", "bogusField"], "Middleware social-headers: unknown field spec.headers.bogusField"],
    ["an IngressRoute field", ingressRoute, ["spec", "bogus"], "IngressRoute social-web: unknown field spec.bogus"],
    ["an IngressRoute route's service field", ingressRoute, ["spec", "routes", 0, "services", 0, "bogus"], "IngressRoute social-web: unknown field spec.routes[0].services[0].bogus"],
    ["a Certificate field", certificate, ["spec", "bogus"], "Certificate social-tls: unknown field spec.bogus"],
    ["an Issuer solver's ingress field", issuer, ["spec", "acme", "solvers", 0, "http01", "ingress", "bogus"], "Issuer social-acme: unknown field spec.acme.solvers[0].http01.ingress.bogus"],
    ["a container field", deployment, ["spec", "template", "spec", "containers", 0, "bogus"], "Deployment social-web: unknown field spec.template.spec.containers[0].bogus"],
    ["a Deployment spec field", deployment, ["spec", "replica"], "Deployment social-web: unknown field spec.replica"],
    ["a metadata field", deployment, ["metadata", "label"], "Deployment social-web: unknown field metadata.label"],
    ["a top-level field", certificate, ["status2"], "Certificate social-tls: unknown field status2"],
    ["a key that is not an identifier", deployment, ["spec", "template", "spec", "bad-key"], 'Deployment social-web: unknown field spec.template.spec["bad-key"]'],
  ];
  for (const [what, make, path, message] of bogus) {
    it(`rejects ${what}, naming the kind, the object and the path`, async () => {
      assert.deepEqual(await objectErrors(withField(make(), path, 1)), [message]);
    });
  }

  it("names the resource, and the object when its name differs, through schemaErrors", async () => {
    const errors = await schemaErrors([recorded(withField(middleware(), ["spec", "headers", "bogusField"], true), "headers")]);
    assert.deepEqual(errors, ["Middleware headers (social-headers): unknown field spec.headers.bogusField"]);
  });

  it("still reports what the schema itself refuses", async () => {
    const errors = await objectErrors(withField(deployment(), ["spec", "replicas"], "two"));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^Deployment social-web: .*\/spec\/replicas must be integer/);
  });

  it("accepts any key in labels, annotations, selectors, a ConfigMap's or Secret's data and resource maps", async () => {
    const key = fc.string({ minLength: 1 }).filter((k) => k !== "__proto__");
    await fc.assert(fc.asyncProperty(key, fc.string(), async (k, v) => {
      const d = deployment();
      d.metadata.labels = { ...d.metadata.labels, [k]: v };
      (d.metadata.annotations as any)[k] = v;
      (d.spec.template.metadata.labels as any)[k] = v;
      (d.spec.selector.matchLabels as any)[k] = v;
      assert.deepEqual(await objectErrors(d), []);
      const m = middleware();
      (m.metadata.labels as any)[k] = v;
      (m.spec.headers.customResponseHeaders as any)[k] = v;
      assert.deepEqual(await objectErrors(m), []);
      const data = { [k]: v };
      assert.deepEqual(await objectErrors({ apiVersion: "v1", kind: "ConfigMap", metadata: meta("c"), data }), []);
      assert.deepEqual(await objectErrors({ apiVersion: "v1", kind: "Secret", metadata: meta("s"), stringData: data }), []);
    }), { numRuns: 100 });
  });

  it("accepts anything inside a free-form subtree (x-kubernetes-preserve-unknown-fields)", async () => {
    const m = withField(middleware(), ["spec", "plugin"], { "my-plugin": { any: { thing: [1, "two", { three: 3 }] } } });
    assert.deepEqual(await objectErrors(m), []);
  });

  const modes: [string, Parameters<typeof deploy>[0]][] = [
    ["defaults", { domain: "social.example" }],
    ["PostgreSQL on CloudNativePG with a pooler and backups", {
      domain: "social.example",
      postgresql: {
        cloudNativePG: {
          apiServerCidrs: ["192.168.1.10/32"],
          pooler: { enabled: true },
          backup: { destinationPath: "s3://backups/social", endpointUrl: "http://minio.storage:9000", accessKeyId: "k", secretAccessKey: "s" },
        },
      },
    }],
  ];
  for (const [mode, args] of modes) describe(`on the component's own objects (${mode})`, () => {
    let resources: RecordedResource[];
    before(async () => {
      ({ stack: { resources } } = await deploy(args));
    });

    it("accepts them all", async () => {
      assert.deepEqual(await schemaErrors(resources), []);
    });

    it("refuses a misspelled field in each of their specs and containers", async () => {
      const objects = resources.filter(isKubernetesObject);
      let mutated = 0;
      for (const r of objects) {
        const paths: (string | number)[][] = [["metadata", "bogus"]];
        if (r.state.spec && typeof r.state.spec === "object") paths.push(["spec", "bogus"]);
        const pod = r.state.spec?.template?.spec ?? r.state.spec?.jobTemplate?.spec?.template?.spec;
        const podPath = r.state.spec?.template ? ["spec", "template", "spec"] : ["spec", "jobTemplate", "spec", "template", "spec"];
        (pod?.containers ?? []).forEach((_: unknown, i: number) => paths.push([...podPath, "containers", i, "bogus"]));
        for (const path of paths) {
          const state = withField(r.state, path, 1);
          const errors = await schemaErrors([{ ...r, state }]);
          assert.equal(errors.length, 1, `${r.type} ${r.name} ${path.join(".")}: ${errors.join("; ")}`);
          assert.match(errors[0], /unknown field .*bogus$/);
          mutated++;
        }
      }
      assert.ok(mutated > objects.length, `only ${mutated} mutations of ${objects.length} objects`);
    });
  });
});

describe("the copies of CloudNativePG's CRDs", () => {
  it("are of the version the live suite loads (test/live/versions.env), unmodified", () => {
    const pinned = /^CLOUDNATIVEPG_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(__dirname, "../live/versions.env"), "utf8"))?.[1];
    const dir = path.join(__dirname, "crds/cloudnative-pg");
    assert.equal(fs.readFileSync(path.join(dir, "VERSION"), "utf8").trim(), pinned);
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
      // controller-gen's header: the files are generated, never edited by hand.
      assert.match(fs.readFileSync(path.join(dir, f), "utf8"), /controller-gen\.kubebuilder\.io\/version: v\d/, f);
    }
  });
});
