import * as assert from "node:assert/strict";
import { parseArgs } from "../../provider/args";
import * as pulumi from "@pulumi/pulumi";
import { networkPolicySpecs, serverPeer } from "../../provider/network";
import { RecordedResource } from "../harness/mocks";
import { KIND, Stack, deploy } from "../harness/stack";

/** Does a label selector (matchLabels and matchExpressions) select these labels? */
function selects(selector: any, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: any) => {
    switch (e.operator) {
      case "In": return e.values.includes(labels[e.key]);
      case "NotIn": return !e.values.includes(labels[e.key]);
      case "Exists": return e.key in labels;
      default: return !(e.key in labels);
    }
  });
  return byLabels && byExpressions;
}

const podLabels = (w: RecordedResource) => w.inputs.spec.template.metadata.labels;
const ipBlocks = (specs: Record<string, any>) =>
  Object.values(specs).flatMap((s: any) => (s.egress ?? []).flatMap((e: any) => (e.to ?? []).filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr)));

describe("network isolation", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example" }));
  });
  const policies = () => stack.ofType(KIND.NetworkPolicy).map((p) => p.inputs.spec);
  const policiesFor = (w: RecordedResource) => policies().filter((p) => selects(p.podSelector, podLabels(w)));

  it("denies all ingress and egress to every pod of the instance, Jobs included", () => {
    const deny = stack.get(KIND.NetworkPolicy, "social-default-deny").inputs.spec;
    assert.deepEqual(deny.policyTypes, ["Ingress", "Egress"]);
    assert.equal(deny.ingress, undefined);
    assert.equal(deny.egress, undefined);
    for (const w of stack.workloads()) assert.ok(selects(deny.podSelector, podLabels(w)), `${w.name} escapes the default deny`);
  });

  it("lets every pod resolve names through the cluster DNS only", () => {
    const dns = stack.get(KIND.NetworkPolicy, "social-dns").inputs.spec;
    assert.deepEqual(dns.egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
    assert.deepEqual(dns.egress[0].to[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "kube-system" });
    for (const w of stack.workloads()) assert.ok(selects(dns.podSelector, podLabels(w)), w.name);
  });

  it("lets only Mastodon's pods reach PostgreSQL and Redis", () => {
    const mastodon = stack.workloads().filter((w) => w.type !== KIND.StatefulSet);
    for (const [policy, port] of [["social-postgresql", 5432], ["social-redis", 6379]] as const) {
      const spec = stack.get(KIND.NetworkPolicy, policy).inputs.spec;
      assert.deepEqual(spec.ingress[0].ports, [{ protocol: "TCP", port }]);
      const from = spec.ingress[0].from[0].podSelector;
      for (const w of mastodon) assert.ok(selects(from, podLabels(w)), `${w.name} cannot reach ${policy}`);
      for (const w of stack.ofType(KIND.StatefulSet)) assert.ok(!selects(from, podLabels(w)), `${w.name} may reach ${policy}`);
    }
  });

  it("lets the ingress controller reach web on 3000 and streaming on 4000, and nothing else in", () => {
    const spec = stack.get(KIND.NetworkPolicy, "social-ingress-controller").inputs.spec;
    assert.deepEqual(spec.ingress[0].ports.map((p: any) => p.port), [3000, 4000]);
    assert.deepEqual(spec.ingress[0].from[0].podSelector.matchLabels, { "app.kubernetes.io/name": "traefik" });
    const selected = stack.workloads().filter((w) => selects(spec.podSelector, podLabels(w))).map((w) => w.name).sort();
    assert.deepEqual(selected, ["social-streaming", "social-web"]);
  });

  it("lets web and sidekiq reach the ingress controller's pods on its ports (other instances), and no other pod, port or range", () => {
    const cluster = stack.get(KIND.NetworkPolicy, "social-cluster-egress").inputs.spec;
    assert.deepEqual(cluster.egress, [{
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } }],
      ports: [80, 443, 8000, 8443].map((port) => ({ protocol: "TCP", port })),
    }]);
    for (const name of ["social-web", "social-sidekiq-default", "social-streaming"]) {
      const rules = policiesFor(stack.get(KIND.Deployment, name)).flatMap((p) => p.egress ?? []);
      for (const rule of rules) {
        assert.ok(rule.ports && rule.ports.length > 0, `${name} has an egress rule without ports`);
        for (const peer of rule.to) {
          assert.equal(peer.ipBlock, undefined, `${name} reaches a range`);
          assert.ok(peer.podSelector || Object.keys(peer.namespaceSelector?.matchLabels ?? {}).length > 0, `${name} reaches every pod: ${JSON.stringify(peer)}`);
        }
      }
    }
    const streaming = policiesFor(stack.get(KIND.Deployment, "social-streaming"));
    assert.ok(!streaming.some((p) => p.podSelector === cluster.podSelector), "streaming reaches the ingress controller");
  });

  it("closes the SSRF paths: a remote post pointing at an in-cluster service finds web and sidekiq unable to reach it", () => {
    // Another namespace's pod on any port (a dashboard, a database, the API server's pods) and the metadata address.
    const targets: Array<{ namespace: string; labels: Record<string, string>; port: number }> = [
      { namespace: "monitoring", labels: { app: "grafana" }, port: 3000 },
      { namespace: "kube-system", labels: { "k8s-app": "metrics-server" }, port: 443 },
      { namespace: "kube-system", labels: { "app.kubernetes.io/name": "traefik" }, port: 9000 },
      { namespace: "social", labels: { "app.kubernetes.io/name": "mastodon", "app.kubernetes.io/instance": "social", "app.kubernetes.io/component": "redis" }, port: 8080 },
    ];
    for (const name of ["social-web", "social-sidekiq-default"]) {
      const rules = policiesFor(stack.get(KIND.Deployment, name)).flatMap((p) => p.egress ?? []);
      for (const target of targets) {
        const reaches = rules.some((rule: any) =>
          rule.ports.some((p: any) => p.port === target.port) &&
          rule.to.some((peer: any) => {
            const ns = peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? (peer.namespaceSelector ? undefined : "social");
            return (ns === undefined || ns === target.namespace) && (!peer.podSelector || selects(peer.podSelector, target.labels));
          }));
        assert.ok(!reaches, `${name} reaches ${target.namespace}/${JSON.stringify(target.labels)}:${target.port}`);
      }
    }
  });

  it("has no egress rule without destinations (which would allow everything)", () => {
    for (const p of policies()) for (const e of p.egress ?? []) assert.ok(e.to && e.to.length > 0);
  });
});

describe("network isolation settings", () => {
  it("follows the cluster CIDRs given for an external server, IPv6 included, normalised to network addresses", () => {
    const config = parseArgs("social", { domain: "social.example", clusterCidrs: ["10.244.1.7/16", "fd00:10:96::1/108"], postgresql: { external: { host: "pg.db", password: "x" } } });
    assert.deepEqual(ipBlocks(networkPolicySpecs(config)), ["10.244.0.0/16", "fd00:10:96::/108"]);
  });

  it("opens web and sidekiq to the internet only on request", () => {
    const open = networkPolicySpecs(parseArgs("social", { domain: "social.example", allowPublicEgress: true }));
    assert.deepEqual(open["cluster-egress"].podSelector, networkPolicySpecs(parseArgs("social", { domain: "social.example" }))["cluster-egress"].podSelector);
    assert.deepEqual(open["public-egress"].egress, [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }] }]);
    assert.equal(networkPolicySpecs(parseArgs("social", { domain: "social.example" }))["public-egress"], undefined);
  });

  it("re-enables the update check only with public egress", async () => {
    const { stack } = await deploy({ domain: "social.example", allowPublicEgress: true });
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.UPDATE_CHECK_URL, undefined);
  });

  it("reaches an external database inside the cluster's ranges, on its port", () => {
    const specs = networkPolicySpecs(parseArgs("social", { domain: "social.example", postgresql: { external: { host: "pg.db", port: 6432, password: "x" } } }));
    assert.deepEqual((specs["mastodon-data"].egress as any[])[0], {
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "db" } } }, { ipBlock: { cidr: "10.42.0.0/16" } }, { ipBlock: { cidr: "10.43.0.0/16" } }],
      ports: [{ protocol: "TCP", port: 6432 }],
    });
    assert.equal(specs.postgresql, undefined);
  });

  it("reaches external servers inside the cluster by their Service's namespace too, on their ports only, from every process and Job", async () => {
    const { stack } = await deploy({
      domain: "social.example",
      postgresql: { external: { host: "pgbouncer.pool", directHost: pulumi.output("postgres.data.svc.cluster.local"), password: "x" } },
      redis: { external: { host: "redis", port: 6380 } },
    });
    const data = stack.get(KIND.NetworkPolicy, "social-mastodon-data").inputs.spec;
    const [postgresql, redis] = data.egress;
    const namespaces = (rule: any) => rule.to.filter((p: any) => p.namespaceSelector).map((p: any) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]);
    assert.deepEqual(namespaces(postgresql), ["pool", "data"]);
    assert.deepEqual(postgresql.ports, [{ protocol: "TCP", port: 5432 }]);
    assert.deepEqual(namespaces(redis), ["social"]);
    assert.deepEqual(redis.ports, [{ protocol: "TCP", port: 6380 }]);
    for (const rule of data.egress) for (const peer of rule.to.filter((p: any) => p.namespaceSelector)) assert.equal(peer.podSelector, undefined);
    const connecting = stack.workloads();
    assert.deepEqual(connecting.map((w) => w.name).sort(), ["social-db-migrate-post", "social-db-migrate-pre", "social-sidekiq-default", "social-streaming", "social-web"]);
    for (const w of connecting) assert.ok(selects(data.podSelector, podLabels(w)), `${w.name} may not reach the external servers`);
  });

  it("allows an external server given by address to any namespace's pods, on its port only", () => {
    assert.deepEqual(serverPeer("10.43.7.1", "social"), { namespaceSelector: {} });
    assert.deepEqual(serverPeer("fd00:10:43::7", "social"), { namespaceSelector: {} });
    assert.deepEqual(serverPeer("pg.db.svc", "social"), { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "db" } } });
    assert.deepEqual(serverPeer("db.example.com", "social"), { namespaceSelector: {} });
  });

  it("admits the ingress controller from the namespace and labels given", () => {
    const specs = networkPolicySpecs(parseArgs("social", { domain: "social.example", ingress: { controllerNamespace: "traefik", controllerPodLabels: { app: "traefik-lab" } } }));
    const from = (specs["ingress-controller"].ingress as any)[0].from[0];
    assert.deepEqual(from.namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "traefik" });
    assert.deepEqual(from.podSelector.matchLabels, { app: "traefik-lab" });
  });
});

describe("network peers of the configured servers and DNS", () => {
  it("lets web and sidekiq reach the mail server and object store on their ports only", () => {
    const specs = networkPolicySpecs(parseArgs("social", {
      domain: "social.example",
      smtp: { server: "mailpit.mail", port: 1025 },
      media: { s3: { bucket: "media", endpoint: "http://minio.storage:9000", accessKeyId: "a", secretAccessKey: "b", aliasHost: "media.social.example" } },
    }));
    assert.deepEqual((specs["cluster-egress"].egress as any[]).slice(1), [
      { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mail" } } }], ports: [{ protocol: "TCP", port: 1025 }] },
      { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "storage" } } }], ports: [{ protocol: "TCP", port: 9000 }] },
    ]);
    const byAddress = networkPolicySpecs(parseArgs("social", { domain: "social.example", smtp: { server: "10.43.9.9", port: 25 } }));
    assert.deepEqual((byAddress["cluster-egress"].egress as any[])[1].to, [{ namespaceSelector: {} }, { ipBlock: { cidr: "10.43.9.9/32" } }]);
  });

  it("reaches k3s's CoreDNS by default, and any DNS given: another namespace, port and a NodeLocal DNSCache address", () => {
    const byDefault = networkPolicySpecs(parseArgs("social", { domain: "social.example" })).dns.egress as any[];
    assert.deepEqual(byDefault, [{
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
    }]);
    const custom = networkPolicySpecs(parseArgs("social", { domain: "social.example", dns: { namespace: "dns", podLabels: { app: "unbound" }, port: 5353, cidrs: ["169.254.20.10/32"] } })).dns.egress as any[];
    assert.deepEqual(custom, [{
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } }, podSelector: { matchLabels: { app: "unbound" } } }, { ipBlock: { cidr: "169.254.20.10/32" } }],
      ports: [{ protocol: "UDP", port: 5353 }, { protocol: "TCP", port: 5353 }],
    }]);
  });
});
