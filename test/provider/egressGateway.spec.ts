import * as assert from "node:assert/strict";
import type * as dgram from "node:dgram";
import { formatCidr, parseCidr, setOf, toCidrs, union, AddressSet, blockSet, Cidr, EMPTY } from "../../policy/cidr";
import { NON_PUBLIC, PUBLIC } from "../../policy/publicAddresses";
import { MastodonCluster, MastodonPlatform } from "../../provider";
import { parseArgs } from "../../provider/args";
import { runPolicies } from "../../policy/check";
import { cidrsAround, NON_PUBLIC_IPV4, NON_PUBLIC_IPV6, packEntry, publicEgressPeers, squidConfig } from "../../provider/egressGateway";
import { RecordedResource, runProgram } from "../harness/mocks";
import { deploy, KIND, Stack } from "../harness/stack";
import { nxdomainServer, proxyRequest, RunningSquid, squidBinary, startSquid } from "./egressGatewaySquid";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, text);
  return parsed;
}

describe("egress gateway: the proxy's rules", () => {
  it("refuses exactly the pack's non-public addresses: IPv4 as listed, IPv6 as listed plus the IPv4-mapped block Squid reads as IPv4", () => {
    const listed = setOf([...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6].map(cidr));
    assert.deepEqual(union(listed, setOf([cidr("::ffff:0:0/96")])), NON_PUBLIC);
  });

  it("lets the gateway's NetworkPolicy reach exactly the pack's public addresses", () => {
    const reached = publicEgressPeers().reduce<AddressSet>(
      (acc, p: any) => union(acc, blockSet(cidr(p.ipBlock.cidr), (p.ipBlock.except ?? []).map(cidr))),
      EMPTY,
    );
    assert.deepEqual(reached, PUBLIC);
  });

  it("splits a block around an inner one", () => {
    assert.deepEqual(cidrsAround("10.0.0.0/8", "10.42.0.0/16"), [
      "10.128.0.0/9", "10.64.0.0/10", "10.0.0.0/11", "10.48.0.0/12", "10.32.0.0/13", "10.44.0.0/14", "10.40.0.0/15", "10.43.0.0/16",
    ]);
    const around = cidrsAround("::/3", "::ffff:0:0/96");
    assert.equal(around.length, 93);
    assert.deepEqual(union(setOf(around.map(cidr)), setOf([cidr("::ffff:0:0/96")])), setOf([cidr("::/3")]));
    assert.deepEqual(toCidrs(setOf(around.map(cidr))).map(formatCidr).length, 93);
  });

  it("orders the refusals before the clients' permission, CONNECT limited to 443", () => {
    const text = squidConfig({ port: 3128, clientCidrs: ["10.42.0.0/16"], blockedDomains: ["bad.example"], allowedDomains: ["Good.example"] });
    const access = text.split("\n").filter((l) => l.startsWith("http_access"));
    assert.deepEqual(access, [
      "http_access deny !web_ports",
      "http_access deny CONNECT !tls_port",
      "http_access deny manager",
      "http_access deny non_public",
      "http_access deny blocked_domains",
      "http_access deny !allowed_domains",
      "http_access allow clients",
      "http_access deny all",
    ]);
    assert.match(text, /^acl blocked_domains dstdomain \.bad\.example$/m);
    assert.match(text, /^acl allowed_domains dstdomain \.good\.example$/m);
    assert.match(text, /^acl clients src 10\.42\.0\.0\/16$/m);
    assert.match(text, /^access_log stdio:\/dev\/stdout logformat=gateway$/m);
  });

  it("writes no domain lists when none are given", () => {
    const text = squidConfig({ port: 3128, clientCidrs: ["10.42.0.0/16"] });
    assert.doesNotMatch(text, /blocked_domains|allowed_domains/);
  });
});

describe("egress gateway: the real Squid on loopback, with the component's squid.conf", function () {
  this.timeout(120_000);
  const DNS = "127.0.53.53";
  let squid: RunningSquid | undefined;
  let dns: dgram.Socket | undefined;

  before(async function () {
    const binary = squidBinary();
    if (!binary) this.skip("squid is not installed (apt-get install -y squid)");
    try {
      dns = await nxdomainServer(DNS);
    } catch {
      dns = undefined;
    }
    squid = await startSquid(
      binary!,
      { clientCidrs: ["127.0.0.0/8"], dnsNameservers: [DNS], blockedDomains: ["blocked.test"] },
      "127.0.0.2 inside.test\n10.0.0.7 intranet.test\n169.254.169.254 metadata.test\n::1 inside6.test\n",
    );
  });

  after(async () => {
    await squid?.stop();
    dns?.close();
  });

  /** The access log line of the request to `host` (the last one), after Squid has written it. */
  async function logLine(host: string, method: string, port = "80"): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const line = squid!.log().split("\n").reverse().find((l) => l.includes(` method=${method} host=${host} port=${port} `));
      if (line) return line;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no log line for ${method} ${host} in:\n${squid!.log()}`);
  }

  const refused: Array<[string, string, string, string]> = [
    ["a name that resolves to loopback (GET)", "GET http://inside.test/ HTTP/1.1\r\nHost: inside.test\r\n\r\n", "inside.test", "80"],
    ["a name that resolves to loopback (CONNECT)", "CONNECT inside.test:443 HTTP/1.1\r\nHost: inside.test:443\r\n\r\n", "inside.test", "443"],
    ["a name that resolves to a private address", "CONNECT intranet.test:443 HTTP/1.1\r\nHost: intranet.test:443\r\n\r\n", "intranet.test", "443"],
    ["a name that resolves to the metadata address", "GET http://metadata.test/latest/meta-data/ HTTP/1.1\r\nHost: metadata.test\r\n\r\n", "metadata.test", "80"],
    ["a name that resolves to IPv6 loopback", "CONNECT inside6.test:443 HTTP/1.1\r\nHost: inside6.test:443\r\n\r\n", "inside6.test", "443"],
    ["the loopback address itself", "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n", "127.0.0.1", "443"],
    ["the metadata address itself", "GET http://169.254.169.254/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n", "169.254.169.254", "80"],
    ["CONNECT to a port other than 443", "CONNECT inside.test:8443 HTTP/1.1\r\nHost: inside.test:8443\r\n\r\n", "inside.test", "8443"],
  ];
  for (const [what, request, host, port] of refused) {
    it(`refuses ${what} and logs the host, the port and the verdict`, async () => {
      const method = request.split(" ")[0];
      assert.match(await proxyRequest(squid!.port, request), /^HTTP\/1\.1 403 /);
      const line = await logLine(host, method, port);
      assert.match(line, new RegExp(`client=127\\.0\\.0\\.1 method=${method} host=${host.replace(/\./g, "\\.")} port=${port} status=403 verdict=TCP_DENIED server=- `));
    });
  }

  it("does not refuse a name it cannot resolve (no address to judge): the request fails on DNS instead, unrefused", async function () {
    if (!dns) this.skip("the DNS stub needs port 53 on a loopback address (root)");
    const status = await proxyRequest(squid!.port, "GET http://unknown.test/ HTTP/1.1\r\nHost: unknown.test\r\n\r\n");
    assert.match(status, /^HTTP\/1\.1 50[23] /);
    const line = await logLine("unknown.test", "GET");
    assert.match(line, /status=50[23] verdict=TCP_MISS server=- /);
    assert.doesNotMatch(line, /TCP_DENIED/);
  });

  it("refuses a blocked domain and its subdomains even when they do not resolve", async function () {
    if (!dns) this.skip("the DNS stub needs port 53 on a loopback address (root)");
    for (const host of ["blocked.test", "www.blocked.test"]) {
      assert.match(await proxyRequest(squid!.port, `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`), /^HTTP\/1\.1 403 /);
      assert.match(await logLine(host, "GET"), /status=403 verdict=TCP_DENIED /);
    }
  });
});

/** The pack's findings on what a program registered, with the pack config given. */
function packFindings(resources: RecordedResource[], config?: Parameters<typeof runPolicies>[1]) {
  return runPolicies(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })), config);
}

/** Every egress peer of the NetworkPolicies that select a pod with these labels, with the rule's ports. */
function egressOf(stack: Stack, labels: Record<string, string>) {
  const selects = (selector: any) =>
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (selector.matchExpressions ?? []).every((e: any) => e.operator === "In" && e.values.includes(labels[e.key]));
  return stack.ofType(KIND.NetworkPolicy)
    .filter((p) => selects(p.inputs.spec.podSelector))
    .flatMap((p) => (p.inputs.spec.egress ?? []).map((rule: any) => ({ policy: p.name, to: rule.to, ports: rule.ports })));
}

const INSTANCE_GATEWAY = { egressGateways: [{ namespace: "social", podSelector: { matchLabels: { "app.kubernetes.io/component": "egress-gateway" } } }] };

describe("egress gateway: an instance's own", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", egressGateway: { enabled: true } }));
  });

  it("passes the policy pack with the gateway in its config, and fails it without, on the gateway's policy only", () => {
    assert.deepEqual(packFindings(stack.resources, INSTANCE_GATEWAY), []);
    const without = packFindings(stack.resources);
    assert.ok(without.length > 0);
    for (const f of without) assert.match(f.resource, /NetworkPolicy::social-egress-gateway$/);
  });

  it("sends web and sidekiq's outgoing HTTP to the gateway, with in-cluster names and ranges direct", () => {
    const env = stack.get(KIND.ConfigMap, "social-env").inputs.data;
    assert.equal(env.http_proxy, "http://social-egress-gateway.social.svc.cluster.local:3128");
    assert.equal(env.https_proxy, env.http_proxy);
    assert.equal(env.no_proxy, "localhost,127.0.0.1,::1,.svc,.svc.cluster.local,10.42.0.0/16,10.43.0.0/16");
    // Mastodon skips its private-address check for proxied requests; the gateway refuses them instead.
    assert.equal(env.ALLOWED_PRIVATE_ADDRESSES, undefined);
    assert.equal(env.UPDATE_CHECK_URL, undefined);
    const service = stack.get(KIND.Service, "social-egress-gateway").inputs;
    assert.equal(service.metadata.name, "social-egress-gateway");
    assert.deepEqual(service.spec.ports, [{ name: "proxy", port: 3128, targetPort: 3128, protocol: "TCP" }]);
  });

  it("gives no Mastodon pod egress beyond the cluster: only the gateway reaches public addresses, never a non-public one", () => {
    for (const w of stack.workloads().filter((w) => w.name !== "social-egress-gateway")) {
      const labels = w.inputs.spec.template.metadata.labels;
      for (const rule of egressOf(stack, labels)) {
        assert.ok(rule.to && rule.to.length > 0, `${w.name}: ${rule.policy} allows every destination`);
        for (const peer of rule.to) assert.equal(peer.ipBlock, undefined, `${w.name}: ${rule.policy} has an ipBlock`);
      }
    }
    const gateway = stack.get(KIND.Deployment, "social-egress-gateway");
    const ipBlocks = egressOf(stack, gateway.inputs.spec.template.metadata.labels).flatMap((r) => r.to.filter((p: any) => p.ipBlock));
    assert.deepEqual(ipBlocks, publicEgressPeers());
  });

  it("lets only web and sidekiq in on the proxy port", () => {
    const spec = stack.get(KIND.NetworkPolicy, "social-egress-gateway").inputs.spec;
    assert.deepEqual(spec.ingress, [{
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mastodon", "app.kubernetes.io/instance": "social" }, matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["web", "sidekiq"] }] } }],
      ports: [{ protocol: "TCP", port: 3128 }],
    }]);
    assert.deepEqual(spec.egress[1].ports, [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 443 }]);
  });

  it("runs Squid as the restricted profile wants, with resources and probes, and the component's squid.conf", () => {
    const pod = stack.get(KIND.Deployment, "social-egress-gateway").inputs.spec.template.spec;
    const [squid] = pod.containers;
    assert.equal(squid.image, "docker.io/ubuntu/squid:6.6-24.04_beta");
    assert.deepEqual(squid.securityContext, {
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 13, runAsGroup: 13,
      capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(squid.resources, { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } });
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.deepEqual(squid[probe].tcpSocket, { port: 3128 }, probe);
    assert.equal(pod.automountServiceAccountToken, false);
    const conf = stack.resources.find((r) => r.type === KIND.ConfigMap && r.name === "social-egress-gateway")!.inputs.data["squid.conf"];
    assert.equal(conf, squidConfig({ port: 3128, clientCidrs: ["10.42.0.0/16", "10.43.0.0/16"], blockedDomains: [], allowedDomains: [] }));
    assert.equal(stack.find(KIND.PodDisruptionBudget, "social-egress-gateway"), undefined);
  });

  it("starts web and sidekiq after the gateway is up", () => {
    const gateway = stack.get(KIND.Deployment, "social-egress-gateway");
    for (const name of ["social-web", "social-sidekiq-default"]) assert.ok(stack.dependsOn(stack.get(KIND.Deployment, name), gateway), name);
  });

  it("keeps one PodDisruptionBudget when replicated, and the domain lists in squid.conf", async () => {
    const { stack } = await deploy({ domain: "social.example", egressGateway: { enabled: true, replicas: 2, blockedDomains: ["bad.example"], allowedDomains: ["good.example"] } });
    const pdb = stack.get(KIND.PodDisruptionBudget, "social-egress-gateway").inputs.spec;
    assert.deepEqual(pdb.minAvailable, 1);
    const conf = stack.resources.find((r) => r.type === KIND.ConfigMap && r.name === "social-egress-gateway")!.inputs.data["squid.conf"];
    assert.match(conf, /^acl blocked_domains dstdomain \.bad\.example$/m);
    assert.match(conf, /^acl allowed_domains dstdomain \.good\.example$/m);
  });

  it("is off by default: an isolated instance runs no gateway and keeps the update check off", async () => {
    const { stack } = await deploy({ domain: "social.example" });
    assert.equal(stack.find(KIND.Deployment, "social-egress-gateway"), undefined);
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.UPDATE_CHECK_URL, "");
    assert.equal(stack.get(KIND.ConfigMap, "social-env").inputs.data.http_proxy, undefined);
  });
});

describe("egress gateway: a MastodonPlatform's, shared", () => {
  it("serves instances of other namespaces, which pass the pack with its namespace in the config", async () => {
    const { resources, result } = await runProgram(() => {
      const platform = new MastodonPlatform("lab", { egressGateway: { enabled: true } });
      new MastodonCluster("one", {
        domain: "one.example",
        tls: { issuerName: platform.issuerName, caCertificate: platform.caCertificate },
        egressGateway: { proxyUrl: platform.egressProxyUrl, namespace: platform.egressGatewayNamespace },
      });
      return platform;
    });
    const stack = new Stack(resources);
    const config = { egressGateways: [packEntry("egress-gateway", {})] };
    assert.deepEqual(packFindings(resources, config), []);
    assert.ok(packFindings(resources).length > 0);
    assert.equal(stack.get(KIND.Namespace, "lab-egress-gateway").inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const url = await new Promise((resolve) => result.egressProxyUrl.apply(resolve));
    assert.equal(url, "http://lab-egress-gateway.egress-gateway.svc.cluster.local:3128");
    const webEgress = egressOf(stack, stack.get(KIND.Deployment, "one-web").inputs.spec.template.metadata.labels);
    assert.ok(webEgress.some((r) => r.ports?.[0]?.port === 3128 && r.to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] === "egress-gateway"));
  });
});

describe("egress gateway: inputs", () => {
  const refused: Array<[string, any, string]> = [
    ["direct egress beside a gateway", { egressGateway: { enabled: true }, allowPublicEgress: true }, "args.allowPublicEgress: got true; expected false with egressGateway"],
    ["a shared gateway without its namespace", { egressGateway: { proxyUrl: "http://gw.egress.svc:3128" } }, "args.egressGateway.namespace: got undefined; expected the namespace of the gateway's pods"],
    ["both an own and a shared gateway", { egressGateway: { enabled: true, proxyUrl: "http://gw.egress.svc:3128", namespace: "egress" } }, "args.egressGateway.proxyUrl: got \"http://gw.egress.svc:3128\"; expected nothing while egressGateway.enabled is true"],
    ["a gateway neither run nor given", { egressGateway: {} }, "args.egressGateway.enabled: got false; expected true (run a gateway for this instance)"],
    ["a bad blocked domain", { egressGateway: { enabled: true, blockedDomains: ["Not A Domain"] } }, "args.egressGateway.blockedDomains[0]: got \"Not A Domain\"; expected a lowercase domain"],
  ];
  for (const [what, extra, expected] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(() => parseArgs("social", { domain: "social.example", ...extra }), (e: Error) => {
        assert.ok(e.message.includes(expected), e.message);
        return true;
      });
    });
  }
});
