/**
 * examples/federation, run as `pulumi up` would run it but on the mock runtime: the program is
 * loaded fresh (it builds its resources when loaded) under the given stack config, and what it
 * registers must be schema-valid, pass the policy pack, and make a working lab.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runPolicies } from "../../policy/check";
import { RecordedResource, mockClusterIp, runProgramModule } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, valueOf } from "../harness/stack";

// js-yaml is a dependency of @pulumi/pulumi; it ships no types.
const yaml = require(require.resolve("js-yaml", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] })) as { load(text: string): any };

const PROGRAM = require.resolve("../../examples/federation");
const HELM_CHART_CONFIG = "kubernetes:helm.cattle.io/v1:HelmChartConfig";
const CLUSTER_CIDRS = ["10.42.0.0/16", "10.43.0.0/16"];

/** Loads the program afresh under `config` (keys without the project prefix) and records what it registers. */
async function runFederation(config: Record<string, string> = {}) {
  const { result, resources } = await runProgramModule<Record<string, pulumi.Output<string>>>(PROGRAM, config);
  return { outputs: result, stack: new Stack(resources) };
}

/** The resources as the policy pack sees them: their inputs. */
const policyView = (resources: RecordedResource[]) => resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));

/** The lab's server block, from the coredns-custom ConfigMap. */
function serverBlock(stack: Stack): string {
  const cm = stack.get(KIND.ConfigMap, "coredns-custom").inputs;
  assert.deepEqual({ name: cm.metadata.name, namespace: cm.metadata.namespace }, { name: "coredns-custom", namespace: "kube-system" });
  const keys = Object.keys(cm.data);
  assert.deepEqual(keys, ["fediverse.test.server"], "k3s imports only keys ending in .server");
  return cm.data[keys[0]];
}

describe("examples/federation on k3s (its built-in Traefik)", () => {
  let stack: Stack;
  let outputs: Record<string, pulumi.Output<string>>;
  before(async () => ({ stack, outputs } = await runFederation()));

  it("creates one MastodonPlatform and two MastodonClusters, one.fediverse.test and two.fediverse.test", () => {
    assert.deepEqual(stack.ofType("mastodon:index:MastodonPlatform").map((r) => r.name), ["lab"]);
    assert.deepEqual(stack.ofType("mastodon:index:MastodonCluster").map((r) => r.name).sort(), ["one", "two"]);
    for (const name of ["one", "two"]) {
      assert.equal(stack.get(KIND.ConfigMap, `${name}-env`).inputs.data.LOCAL_DOMAIN, `${name}.fediverse.test`);
    }
  });

  it("signs both instances' certificates with the platform's CA issuer and makes both trust that CA", async () => {
    const ca = await valueOf(outputs.caCertificate);
    assert.match(ca, /BEGIN CERTIFICATE/);
    for (const name of ["one", "two"]) {
      assert.equal(stack.get(KIND.Certificate, `${name}-tls`).inputs.spec.issuerRef.name, "lab-ca");
      assert.equal(stack.get(KIND.ConfigMap, `${name}-ca-trust`).inputs.data["ca.crt"], ca);
    }
    assert.equal(stack.ofType(KIND.Issuer).length, 0, "no instance makes a CA of its own");
  });

  it("produces Kubernetes objects that are valid against their schemas", async () => {
    // k3s's HelmChartConfig has no OpenAPI model in the harness: it is checked by hand below.
    assert.deepEqual(await schemaErrors(stack.resources.filter((r) => r.type !== HELM_CHART_CONFIG)), []);
  });

  it("passes the policy pack with its default cluster CIDRs", () => {
    assert.deepEqual(runPolicies(policyView(stack.resources)), []);
  });

  it("lets both instances' web and sidekiq reach only Traefik's pods and Mailpit, each on its ports, and nothing outside", () => {
    for (const name of ["one", "two"]) {
      const egress = stack.get(KIND.NetworkPolicy, `${name}-cluster-egress`).inputs.spec.egress;
      assert.deepEqual(egress, [
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } }],
          ports: [80, 443, 8000, 8443].map((port) => ({ protocol: "TCP", port })),
        },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mail" } } }], ports: [{ protocol: "TCP", port: 1025 }] },
      ]);
      assert.equal(stack.find(KIND.NetworkPolicy, `${name}-public-egress`), undefined);
    }
  });

  it("lets each instance's Mastodon request one private address only: k3s's Traefik Service, read from the cluster", () => {
    for (const name of ["one", "two"]) {
      assert.equal(stack.get(KIND.ConfigMap, `${name}-env`).inputs.data.ALLOWED_PRIVATE_ADDRESSES, mockClusterIp("k3s-traefik-service"));
    }
  });

  it("answers *.fediverse.test in the cluster DNS with a CNAME to k3s's Traefik Service, through a template", () => {
    const block = serverBlock(stack);
    assert.match(block, /^fediverse\.test:53 \{\n/);
    assert.match(block, /^ {4}template IN ANY fediverse\.test \{$/m);
    assert.match(block, /^ {8}answer "\{\{ \.Name \}\} 60 IN CNAME traefik\.kube-system\.svc\.cluster\.local\."$/m);
    assert.doesNotMatch(block, /\brewrite\b/);
    // The match expression is RE2; this one is also valid JavaScript with the same meaning.
    const match = new RegExp(/^ {8}match "(.*)"$/m.exec(block)![1]);
    for (const name of ["one.fediverse.test.", "two.fediverse.test.", "media.one.fediverse.test."]) assert.match(name, match);
    for (const name of ["fediverse.test.", "one.fediverse.test.evil.", "onefediverse.test.", "traefik.kube-system.svc.cluster.local."]) assert.doesNotMatch(name, match);
  });

  it("gives the instances no hostAliases (the DNS answer follows the Traefik Service)", () => {
    for (const w of stack.workloads()) {
      const template = w.inputs.spec.template ?? w.inputs.spec.jobTemplate?.spec.template;
      assert.equal(template.spec.hostAliases, undefined, `${w.name} pins addresses`);
    }
  });

  it("runs Mailpit as non-root with the restricted contexts, in namespace mail, pinned", () => {
    const ns = stack.get(KIND.Namespace, "mail").inputs.metadata;
    assert.equal(ns.name, "mail");
    assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const deployment = stack.get(KIND.Deployment, "mailpit").inputs;
    assert.equal(deployment.metadata.namespace, "mail");
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    const [container] = pod.containers;
    assert.match(container.image, /^docker\.io\/axllent\/mailpit:v\d+\.\d+\.\d+$/);
    assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    const service = stack.get(KIND.Service, "mailpit").inputs;
    assert.deepEqual({ name: service.metadata.name, namespace: service.metadata.namespace }, { name: "mailpit", namespace: "mail" });
    assert.deepEqual(service.spec.ports.map((p: any) => p.port), [1025, 8025]);
  });

  it("fences Mailpit: all denied, then SMTP and HTTP in from the cluster's pods, and only DNS out", () => {
    assert.deepEqual(stack.get(KIND.NetworkPolicy, "mail-default-deny").inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const spec = stack.get(KIND.NetworkPolicy, "mailpit").inputs.spec;
    assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"]);
    assert.deepEqual(spec.ingress, [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: "TCP", port: 1025 }, { protocol: "TCP", port: 8025 }] }]);
    assert.equal(spec.egress.length, 1);
    assert.deepEqual(spec.egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
    assert.deepEqual(spec.egress[0].to[0].podSelector.matchLabels, { "k8s-app": "kube-dns" });
  });

  it("sends both instances' mail to Mailpit", () => {
    for (const name of ["one", "two"]) {
      const env = stack.get(KIND.ConfigMap, `${name}-env`).inputs.data;
      assert.deepEqual([env.SMTP_SERVER, env.SMTP_PORT], ["mailpit.mail", "1025"]);
    }
  });

  it("turns on the access logs of k3s's Traefik with a HelmChartConfig", () => {
    // No OpenAPI model of helm.cattle.io/v1 exists in the harness, so the schema check leaves it
    // out: its shape is checked here, field by field, against k3s's CRD (spec.valuesContent: string).
    const config = stack.get(HELM_CHART_CONFIG, "k3s-traefik");
    assert.deepEqual(Object.keys(config.inputs).sort(), ["apiVersion", "kind", "metadata", "spec"]);
    assert.equal(config.inputs.apiVersion, "helm.cattle.io/v1");
    assert.equal(config.inputs.kind, "HelmChartConfig");
    assert.deepEqual(config.inputs.metadata, { name: "traefik", namespace: "kube-system" }, "k3s merges only the config named after its chart");
    assert.deepEqual(Object.keys(config.inputs.spec), ["valuesContent"]);
    assert.equal(typeof config.inputs.spec.valuesContent, "string");
    assert.deepEqual(yaml.load(config.inputs.spec.valuesContent), {
      logs: { access: { enabled: true } },
      // Uploads: Traefik v3 stops reading a request after 60 s by default.
      ports: { websecure: { transport: { respondingTimeouts: { readTimeout: "900s" } } } },
    });
  });

  it("keeps the instances' ingress policies pointing at kube-system, where k3s runs Traefik", () => {
    for (const name of ["one", "two"]) {
      const from = stack.get(KIND.NetworkPolicy, `${name}-ingress-controller`).inputs.spec.ingress[0].from[0];
      assert.equal(from.namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "kube-system");
    }
    assert.equal(stack.find("kubernetes:helm.sh/v4:Chart", "lab-traefik"), undefined);
  });

  it("exports each instance's URL and admin command, the CA and the ingress Service", async () => {
    assert.equal(await valueOf(outputs.oneUrl), "https://one.fediverse.test/");
    assert.equal(await valueOf(outputs.twoUrl), "https://two.fediverse.test/");
    assert.match(await valueOf(outputs.oneAdminCommand), /^kubectl --namespace one exec deployment\/\S+ -- .*tootctl accounts create/);
    assert.match(await valueOf(outputs.twoAdminCommand), /^kubectl --namespace two exec /);
    assert.match(await valueOf(outputs.caCertificate), /BEGIN CERTIFICATE/);
    assert.equal(await valueOf(outputs.ingressService), "kube-system/traefik");
  });

  it("deploys the version given in stack config to both instances", async () => {
    const { stack: pinned } = await runFederation({ version: "v4.5.2" });
    for (const name of ["one", "two"]) {
      assert.equal(pinned.get(KIND.Deployment, `${name}-web`).inputs.spec.template.spec.containers[0].image, "ghcr.io/mastodon/mastodon:v4.5.2");
    }
  });
});

describe("examples/federation with Traefik installed by the platform", () => {
  const API_SERVER = "172.18.0.2/32";
  let stack: Stack;
  let outputs: Record<string, pulumi.Output<string>>;
  before(async () => ({ stack, outputs } = await runFederation({ installTraefik: "true", apiServerCidrs: JSON.stringify([API_SERVER]) })));

  it("installs Traefik once, with access logs on, and no HelmChartConfig", () => {
    const charts = stack.ofType("kubernetes:helm.sh/v4:Chart");
    assert.deepEqual(charts.map((r) => r.name), ["lab-traefik"]);
    assert.equal(charts[0].inputs.values.logs.access.enabled, true);
    assert.equal(stack.ofType(HELM_CHART_CONFIG).length, 0);
  });

  it("points the lab's names at the installed Traefik's Service and lets its namespace reach the instances", async () => {
    assert.match(serverBlock(stack), /IN CNAME lab-traefik\.traefik\.svc\.cluster\.local\."$/m);
    assert.equal(await valueOf(outputs.ingressService), "traefik/lab-traefik");
    for (const name of ["one", "two"]) {
      const from = stack.get(KIND.NetworkPolicy, `${name}-ingress-controller`).inputs.spec.ingress[0].from[0];
      assert.equal(from.namespaceSelector.matchLabels["kubernetes.io/metadata.name"], "traefik");
    }
  });

  it("lets each instance's Mastodon request one private address only: the installed Traefik's Service", () => {
    for (const name of ["one", "two"]) {
      assert.equal(stack.get(KIND.ConfigMap, `${name}-env`).inputs.data.ALLOWED_PRIVATE_ADDRESSES, mockClusterIp("lab-traefik-service"));
    }
  });

  it("produces Kubernetes objects that are valid against their schemas", async () => {
    assert.deepEqual(await schemaErrors(stack.resources), []);
  });

  it("passes the policy pack once the API server's address is among the allowed ranges", () => {
    // Traefik and cert-manager must reach the API server, outside the pod and service ranges: the pack is told so
    // with --policy-pack-config (test/e2e/run.sh does it on kind).
    assert.deepEqual(runPolicies(policyView(stack.resources), { clusterCidrs: [...CLUSTER_CIDRS, API_SERVER] }), []);
    const unconfigured = runPolicies(policyView(stack.resources));
    // Traefik and cert-manager (egress-isolated once the platform knows the API server) both reach it.
    assert.deepEqual(unconfigured.map((f) => [f.policy, f.resource.split("::").pop()]).sort(), [
      ["networkpolicy-egress-outside-cluster", "lab-cert-manager-egress"],
      ["networkpolicy-egress-outside-cluster", "lab-traefik"],
    ]);
  });

  it("refuses installTraefik without the API server's addresses, naming apiServerCidrs", async () => {
    await assert.rejects(runFederation({ installTraefik: "true" }), /apiServerCidrs/);
  });
});
