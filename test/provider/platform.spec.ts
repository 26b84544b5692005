import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { MastodonCluster, MastodonPlatform } from "../../provider";
import { parsePlatformArgs } from "../../provider/args";
import { deploymentOf } from "../../provider/clusterWide";
import { certManagerNetworkPolicySpec, traefikNetworkPolicySpec } from "../../provider/platform";
import { InvalidArgsError } from "../../provider/validation";
import { mockClusterIp, runProgram } from "../harness/mocks";
import { schemaErrors } from "../harness/schemas";
import { KIND, Stack, valueOf } from "../harness/stack";

/** Cluster-scoped kinds: one object per cluster, whatever the number of instances. */
const CLUSTER_SCOPED = [KIND.ClusterIssuer, KIND.Namespace, KIND.CertManager, "kubernetes:helm.sh/v4:Chart"];

describe("two instances sharing one platform", () => {
  let stack: Stack;
  let platform: MastodonPlatform;
  before(async () => {
    const { resources, result } = await runProgram(() => {
      const p = new MastodonPlatform("lab", { installTraefik: true, apiServerCidrs: ["172.18.0.2/32"] });
      for (const name of ["one", "two"]) {
        new MastodonCluster(name, {
          domain: `${name}.fediverse.test`,
          tls: { issuerName: p.issuerName, caCertificate: p.caCertificate },
          ingress: { controllerNamespace: p.ingressControllerNamespace, controllerAddresses: p.ingressServiceAddresses },
        });
      }
      return p;
    });
    stack = new Stack(resources);
    platform = result;
  });

  it("isolates cert-manager's egress to DNS, the API server and the cluster, once it is installed", () => {
    const policy = stack.get(KIND.NetworkPolicy, "lab-cert-manager-egress");
    assert.equal(policy.inputs.metadata.namespace, "cert-manager");
    assert.deepEqual(policy.inputs.spec.podSelector.matchExpressions, [
      { key: "app.kubernetes.io/name", operator: "In", values: ["cert-manager", "cainjector", "webhook", "startupapicheck"] },
    ], "cert-manager's pods, and no other pod of a namespace it may share");
    assert.deepEqual(policy.inputs.spec.policyTypes, ["Egress"]);
    assert.deepEqual(policy.inputs.spec.egress[1].to.map((t: any) => t.ipBlock.cidr), ["10.42.0.0/16", "10.43.0.0/16", "172.18.0.2/32"]);
    assert.ok(stack.dependsOn(policy, stack.get(KIND.CertManager, "lab-cert-manager")), "created before the chart makes the namespace");
  });

  it("installs cert-manager, Traefik and the CA issuer once", () => {
    assert.deepEqual(stack.ofType(KIND.CertManager).map((r) => r.name), ["lab-cert-manager"]);
    assert.deepEqual(stack.ofType("kubernetes:helm.sh/v4:Chart").map((r) => r.name), ["lab-traefik"]);
    assert.deepEqual(stack.ofType(KIND.ClusterIssuer).map((r) => r.name), ["lab-ca"]);
  });

  it("creates no duplicate cluster-scoped object", () => {
    const seen = new Set<string>();
    for (const r of stack.resources.filter((x) => CLUSTER_SCOPED.includes(x.type))) {
      const key = `${r.type}/${r.state?.metadata?.name ?? r.name}`;
      assert.ok(!seen.has(key), `${key} twice`);
      seen.add(key);
    }
    assert.deepEqual(stack.ofType(KIND.Namespace).map((r) => r.state.metadata.name).sort(), ["one", "traefik", "two"]);
  });

  it("signs both instances' certificates with the shared issuer, which waits for cert-manager", () => {
    const issuer = stack.get(KIND.ClusterIssuer, "lab-ca");
    assert.ok(stack.dependsOn(issuer, stack.get(KIND.CertManager, "lab-cert-manager")));
    for (const name of ["one", "two"]) {
      const cert = stack.get(KIND.Certificate, `${name}-tls`);
      assert.deepEqual(cert.inputs.spec.issuerRef, { name: "lab-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
      assert.ok(stack.dependsOn(cert, issuer), `${name}'s certificate does not wait for the issuer`);
    }
  });

  it("makes both instances trust the shared CA, so they federate over HTTPS", async () => {
    const ca = await valueOf(platform.caCertificate);
    assert.match(ca, /BEGIN CERTIFICATE/);
    for (const name of ["one", "two"]) assert.equal(stack.get(KIND.ConfigMap, `${name}-ca-trust`).inputs.data["ca.crt"], ca);
  });

  it("keeps the CA's key in cert-manager's namespace, as a ClusterIssuer requires", () => {
    const secret = stack.get(KIND.Secret, "lab-ca");
    assert.equal(secret.inputs.metadata.namespace, "cert-manager");
    assert.equal(stack.get(KIND.ClusterIssuer, "lab-ca").inputs.spec.ca.secretName, "lab-ca");
  });

  it("installs Traefik from its pinned chart with access logs on, in its own isolated namespace", () => {
    const chart = stack.get("kubernetes:helm.sh/v4:Chart", "lab-traefik").inputs;
    assert.match(chart.version, /^\d+\.\d+\.\d+$/);
    assert.equal(chart.repositoryOpts.repo, "https://traefik.github.io/charts");
    assert.equal(chart.values.logs.access.enabled, true);
    assert.equal(chart.namespace, "traefik");
    const policy = stack.get(KIND.NetworkPolicy, "lab-traefik").inputs.spec;
    assert.deepEqual(policy.policyTypes, ["Ingress", "Egress"]);
    // No load balancer in a lab cluster: `pulumi up` must not wait for one.
    assert.equal(chart.values.service.annotations["pulumi.com/skipAwait"], "true");
    // Nothing that calls home from an isolated cluster.
    assert.deepEqual(chart.values.global, { checkNewVersion: false, sendAnonymousUsage: false });
  });

  it("lets uploads take fifteen minutes on the HTTPS entry point (Traefik v3 stops reading after 60 s)", () => {
    const chart = stack.get("kubernetes:helm.sh/v4:Chart", "lab-traefik").inputs;
    assert.deepEqual(chart.values.ports.websecure, { port: 8443, transport: { respondingTimeouts: { readTimeout: "900s" } } });
  });

  it("says where the ingress controller runs, for NetworkPolicies and lab DNS", async () => {
    assert.equal(await valueOf(platform.ingressControllerNamespace), "traefik");
    assert.equal(await valueOf(platform.ingressServiceHost), "lab-traefik.traefik.svc.cluster.local");
    // Read from the cluster once the chart has made the Service: the address the lab's names resolve to.
    assert.deepEqual(await valueOf(platform.ingressServiceAddresses), [mockClusterIp("lab-traefik-service")]);
    const from = stack.get(KIND.NetworkPolicy, "one-ingress-controller").inputs.spec.ingress[0].from[0];
    assert.deepEqual(from.namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "traefik" });
  });

  it("produces objects that are valid against their schemas", async () => {
    assert.deepEqual(await schemaErrors(stack.resources), []);
  });
});

describe("MastodonPlatform settings", () => {
  it("uses Let's Encrypt instead of the private CA when given an email", async () => {
    const { resources, result } = await runProgram(() => new MastodonPlatform("public", { acmeEmail: "admin@example.org" }));
    const stack = new Stack(resources);
    assert.equal(stack.get(KIND.ClusterIssuer, "public-acme").inputs.spec.acme.email, "admin@example.org");
    assert.equal(stack.find(KIND.ClusterIssuer, "public-ca"), undefined);
    assert.equal(await valueOf(result.caCertificate), "");
    assert.equal(await valueOf(result.ingressServiceHost), "traefik.kube-system.svc.cluster.local", "k3s's Traefik");
  });

  it("can be wired into instances as a private-CA platform is, its empty caCertificate meaning no CA", async () => {
    const { resources } = await runProgram(() => {
      const platform = new MastodonPlatform("public", { acmeEmail: "admin@example.org" });
      return new MastodonCluster("social", {
        domain: "social.example",
        allowPublicEgress: true,
        tls: { issuerName: platform.issuerName, issuerKind: "ClusterIssuer", caCertificate: platform.caCertificate },
      });
    });
    const stack = new Stack(resources);
    assert.deepEqual(stack.ofType(KIND.Deployment).map((d) => d.name).sort(), ["social-sidekiq-default", "social-streaming", "social-web"]);
    assert.equal(stack.get(KIND.Certificate, "social-tls").inputs.spec.issuerRef.name, "public-acme");
    assert.deepEqual(await schemaErrors(stack.resources), []);
  });

  it("leaves cert-manager's egress alone without the API server's address, and opens it to ACME with Let's Encrypt", async () => {
    const { resources } = await runProgram(() => new MastodonPlatform("lab", {}));
    assert.equal(new Stack(resources).find(KIND.NetworkPolicy, "lab-cert-manager-egress"), undefined);
    const spec = certManagerNetworkPolicySpec(parsePlatformArgs("public", { acmeEmail: "admin@example.org", apiServerCidrs: ["172.18.0.2/32"] }));
    assert.deepEqual((spec.egress as any[])[1].to.map((t: any) => t.ipBlock.cidr), ["10.42.0.0/16", "10.43.0.0/16", "172.18.0.2/32", "0.0.0.0/0", "::/0"]);
  });

  it("lets Traefik reach the cluster, DNS and the API server, and nothing else", () => {
    const spec = traefikNetworkPolicySpec(parsePlatformArgs("lab", { installTraefik: true, apiServerCidrs: ["172.18.0.2/32"] }));
    assert.deepEqual((spec.egress as any[])[1].to.map((t: any) => t.ipBlock.cidr), ["10.42.0.0/16", "10.43.0.0/16", "172.18.0.2/32"]);
  });

  it("refuses to install an egress-isolated Traefik that could not reach the API server", () => {
    assert.throws(() => parsePlatformArgs("lab", { installTraefik: true }), (e: InvalidArgsError) =>
      /args\.apiServerCidrs: got undefined; expected the API server's addresses/.test(e.message));
  });

  it("refuses unknown keys and malformed values, naming them", () => {
    assert.throws(() => parsePlatformArgs("lab", { installTraefk: true } as never), /args: unknown key "installTraefk"; expected only installCertManager/);
    assert.throws(() => parsePlatformArgs("lab", { acmeEmail: "nobody" }), /args\.acmeEmail: got "nobody"; expected an email address/);
    assert.throws(() => parsePlatformArgs("lab", { clusterCidrs: ["10.42.0.0/40"] }), /args\.clusterCidrs\[0\]: got "10\.42\.0\.0\/40"/);
  });
});

describe("cert-manager, one per cluster", () => {
  const installs = (resources: { type: string; name: string }[]) => resources.filter((r) => r.type === KIND.CertManager).map((r) => r.name);

  it("refuses a second instance installing it in the same program, before it registers anything", async () => {
    let registeredBefore = 0;
    const { resources } = await runProgram(() => {
      new MastodonCluster("one", { domain: "one.fediverse.test" });
      registeredBefore = 1;
      assert.throws(() => new MastodonCluster("two", { domain: "two.fediverse.test" }), (e: InvalidArgsError) =>
        e instanceof InvalidArgsError && e.message === 'MastodonCluster "two": invalid args:\n  - args.tls.installCertManager: got true (the default); ' +
          'expected false: MastodonCluster "one" already installs cert-manager on this cluster, and a cluster has one ' +
          "(share one MastodonPlatform between the instances, or set it false on all but one)");
    });
    assert.equal(registeredBefore, 1);
    assert.deepEqual(installs(resources), ["one-cert-manager"]);
    assert.ok(!resources.some((r) => r.name.startsWith("two")), "the refused instance registered something");
  });

  it("refuses an instance installing it beside a platform that does", async () => {
    await runProgram(() => {
      new MastodonPlatform("lab", {});
      assert.throws(() => new MastodonCluster("one", { domain: "one.fediverse.test", tls: { installCertManager: true } }),
        /args\.tls\.installCertManager: got true; expected false: MastodonPlatform "lab" already installs cert-manager/);
    });
  });

  it("allows one per cluster: instances on different Kubernetes providers, or told not to install it", async () => {
    const { resources } = await runProgram(() => {
      const east = new k8s.Provider("east", { context: "east" });
      const west = new k8s.Provider("west", { context: "west" });
      new MastodonCluster("one", { domain: "one.fediverse.test" }, { providers: [east] });
      new MastodonCluster("two", { domain: "two.fediverse.test" }, { providers: { kubernetes: west } });
      new MastodonCluster("three", { domain: "three.fediverse.test" });
      new MastodonCluster("four", { domain: "four.fediverse.test", tls: { installCertManager: false } });
    });
    assert.deepEqual(installs(resources).sort(), ["one-cert-manager", "three-cert-manager", "two-cert-manager"]);
  });

  it("knows one deployment by its monitor's address, as every construct() call of another language connects anew", () => {
    const client = (target: string) => ({ getChannel: () => ({ getTarget: () => target }) });
    assert.equal(deploymentOf(client("127.0.0.1:40001")), deploymentOf(client("127.0.0.1:40001")));
    assert.notEqual(deploymentOf(client("127.0.0.1:40001")), deploymentOf(client("127.0.0.1:40002")));
    const mock = {};
    assert.equal(deploymentOf(mock), mock, "a mock monitor has no address: itself");
  });

  it("forgets the claims of another deployment", async () => {
    for (let run = 0; run < 2; run++) {
      const { resources } = await runProgram(() => new MastodonCluster("social", { domain: "social.example" }));
      assert.deepEqual(installs(resources), ["social-cert-manager"]);
    }
  });
});
