/**
 * The egress gateway: a forward proxy (Squid) through which a public instance's web and sidekiq fetch and deliver
 * everything Mastodon's HTTP client sends to the outside world (federation, link previews, remote media; see
 * docs/networking.md for what goes through it and what does not). It is the only workload with egress beyond the
 * cluster, and never to a non-public address: its NetworkPolicy allows 80 and 443 to every address except the
 * non-public ranges (and DNS), and Squid refuses a request whose destination *resolves* to one of them, so a public
 * name pointing inside the cluster is refused too. Every request is logged on stdout with its host, port and
 * Squid's verdict (TCP_DENIED: refused).
 *
 * Why Squid: a maintained, official image (Canonical's ubuntu/squid, the Ubuntu LTS package), the same program
 * Debian ships, so the rules the component writes are tested against the real proxy (test/provider/egressGateway.spec.ts);
 * its `dst` ACL checks the resolved addresses, CONNECT can be limited to 443, and its log is a line per request.
 * Smokescreen does the same checks but ships no official image; Envoy's dynamic forward proxy cannot refuse by
 * resolved address without extra filters.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { GATEWAY_PORT, type EgressGatewaySettings } from "./args";
import { BuildContext, childOpts } from "./context";
import { instanceLabels, PART_OF } from "./names";
import { DnsSettings, dnsEgress, GATEWAY_POD_LABELS } from "./network";
import { topologySpread } from "./workloads/scaling";

export { GATEWAY_PORT };
/** The uid of Squid's `proxy` user in Debian and Ubuntu. */
const PROXY_UID = 13;
const CONFIG_DIR = "/etc/squid-gateway";

/**
 * IPv4 blocks that are not public, the gateway may never reach (policy/publicAddresses.ts holds the same table for
 * the pack; test/provider/egressGateway.spec.ts checks that both are the same address set).
 */
export const NON_PUBLIC_IPV4 = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
  "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
  "224.0.0.0/4", "240.0.0.0/4",
];
/** Public IPv6 is the global unicast space 2000::/3 less these. */
export const NON_PUBLIC_IPV6_GLOBAL = ["2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20"];

/** The IPv4-mapped block, which Squid uses for every IPv4 address: listing it would refuse all of IPv4. */
const IPV4_MAPPED = "::ffff:0:0/96";

/**
 * `outer` less `inner` (inside it) as CIDR blocks: the sibling of each block on the path from `outer` down to
 * `inner`, one per prefix length.
 */
export function cidrsAround(outer: string, inner: string): string[] {
  const [outerAddress, outerLength] = ipaddr.parseCIDR(outer);
  const [innerAddress, innerLength] = ipaddr.parseCIDR(inner);
  const bits = outerAddress.kind() === "ipv6" ? 128 : 32;
  const toBigint = (a: ipaddr.IPv4 | ipaddr.IPv6) => a.toByteArray().reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  const fromBigint = (v: bigint) => {
    const bytes: number[] = [];
    for (let i = bits / 8 - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(8 * i)) & 0xffn));
    const address = ipaddr.fromByteArray(bytes);
    return address.kind() === "ipv6" ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
  };
  const target = toBigint(innerAddress);
  const out: string[] = [];
  for (let length = outerLength + 1; length <= innerLength; length++) {
    const bit = 1n << BigInt(bits - length);
    const prefix = target & ~((1n << BigInt(bits - length + 1)) - 1n) & ((1n << BigInt(bits)) - 1n);
    // The half at this level that does not hold `inner`.
    out.push(`${fromBigint(prefix | ((target & bit) ^ bit))}/${length}`);
  }
  return out;
}

/**
 * Every non-public IPv6 address as Squid must list it: outside 2000::/3 (loopback, ULA, link-local, NAT64, ...) or
 * special inside it, less the IPv4-mapped block (the IPv4 list covers those addresses).
 */
export const NON_PUBLIC_IPV6 = [...cidrsAround("::/3", IPV4_MAPPED), ...NON_PUBLIC_IPV6_GLOBAL, "4000::/2", "8000::/1"];

/** What the Squid configuration depends on. */
export interface SquidConfigOptions {
  /** The port Squid listens on. */
  port: number;
  /** Who may use the proxy (Squid's `src`): the cluster's ranges. */
  clientCidrs: string[];
  /** Domains refused, with their subdomains. */
  blockedDomains?: string[];
  /** When given, only these domains (and subdomains) are reachable. */
  allowedDomains?: string[];
  /** A hosts file Squid reads before DNS. Defaults to Squid's (/etc/hosts). */
  hostsFile?: string;
  /** DNS servers Squid asks. Defaults to the pod's resolv.conf (the cluster DNS). */
  dnsNameservers?: string[];
}

/** `social.example` → `.social.example`: the domain and its subdomains, as Squid's dstdomain reads it. */
function dstdomain(domain: string): string {
  return `.${domain.replace(/^\.+/, "").toLowerCase()}`;
}

/**
 * The whole squid.conf of the gateway: the one builder the component and the real-proxy test share. The order of
 * the http_access lines is the policy: unsafe ports and CONNECT to anything but 443 first, then any destination
 * that resolves to a non-public address, then the domain lists, then the clients; everything else is refused.
 */
export function squidConfig(o: SquidConfigOptions): string {
  const lines = [
    "# The egress gateway of pulumi-mastodon (provider/egressGateway.ts): a forward proxy, not a cache.",
    `http_port ${o.port}`,
    "pid_filename none",
    "cache deny all",
    "cache_mem 8 MB",
    "netdb_filename none",
    "pinger_enable off",
    "coredump_dir /tmp",
    "shutdown_lifetime 5 seconds",
    "forwarded_for delete",
    "httpd_suppress_version_string on",
    ...(o.hostsFile ? [`hosts_file ${o.hostsFile}`] : []),
    ...(o.dnsNameservers && o.dnsNameservers.length > 0 ? [`dns_nameservers ${o.dnsNameservers.join(" ")}`] : []),
    "",
    "# One line per request: who asked, for which host and port, and Squid's verdict (TCP_DENIED: refused).",
    "logformat gateway %ts.%03tu client=%>a method=%rm host=%>rd port=%>rP status=%>Hs verdict=%Ss server=%<a bytes=%<st",
    "access_log stdio:/dev/stdout logformat=gateway",
    "cache_log stdio:/dev/stderr",
    "logfile_rotate 0",
    "",
    `acl clients src ${o.clientCidrs.join(" ")}`,
    // `dst` resolves a name and matches when any of its addresses is in a range: one inside address is enough.
    `acl non_public dst ${[...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6].join(" ")}`,
    "acl tls_port port 443",
    "acl web_ports port 80 443",
    "acl CONNECT method CONNECT",
    ...(o.blockedDomains && o.blockedDomains.length > 0 ? [`acl blocked_domains dstdomain ${o.blockedDomains.map(dstdomain).join(" ")}`] : []),
    ...(o.allowedDomains && o.allowedDomains.length > 0 ? [`acl allowed_domains dstdomain ${o.allowedDomains.map(dstdomain).join(" ")}`] : []),
    "",
    "http_access deny !web_ports",
    "http_access deny CONNECT !tls_port",
    "http_access deny manager",
    "http_access deny non_public",
    ...(o.blockedDomains && o.blockedDomains.length > 0 ? ["http_access deny blocked_domains"] : []),
    ...(o.allowedDomains && o.allowedDomains.length > 0 ? ["http_access deny !allowed_domains"] : []),
    "http_access allow clients",
    "http_access deny all",
    "",
  ];
  return lines.join("\n");
}

/** The gateway's egress: DNS, and 80/443 to every public address. */
export function publicEgressPeers(): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
  return [
    { ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } },
    { ipBlock: { cidr: "2000::/3", except: NON_PUBLIC_IPV6_GLOBAL } },
  ];
}

/** Where a gateway runs and who its clients are. */
export interface GatewayPlacement {
  /** Prefix of the objects' names. */
  name: string;
  namespace: pulumi.Input<string>;
  /** Labels of the gateway's pods (selector labels: stable). */
  podLabels: Record<string, string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** Who may connect to the proxy port. */
  clients: k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** The cluster's ranges, Squid's clients. */
  clusterCidrs: string[];
  /** The cluster DNS, for the gateway's own lookups. */
  dns: DnsSettings;
}

/** The NetworkPolicy spec of a gateway: its clients in on the proxy port; out, DNS and 80/443 to public addresses. */
export function gatewayNetworkPolicySpec(p: Pick<GatewayPlacement, "podLabels" | "clients" | "dns">): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: p.podLabels },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: p.clients, ports: [{ protocol: "TCP", port: GATEWAY_PORT }] }],
    egress: [
      dnsEgress(p.dns),
      { to: publicEgressPeers(), ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 443 }] },
    ],
  };
}

/** The gateway's container: Squid in the foreground as its `proxy` user, on a read-only root. */
export function gatewayContainer(settings: Pick<EgressGatewaySettings, "image"> & { resources: { requests: Record<string, string>; limits: Record<string, string> } }) {
  return {
    name: "squid",
    image: settings.image,
    command: ["squid", "-N", "-f", `${CONFIG_DIR}/squid.conf`],
    ports: [{ name: "proxy", containerPort: GATEWAY_PORT, protocol: "TCP" }],
    resources: settings.resources,
    startupProbe: { tcpSocket: { port: GATEWAY_PORT }, periodSeconds: 2, failureThreshold: 30 },
    readinessProbe: { tcpSocket: { port: GATEWAY_PORT }, periodSeconds: 10 },
    livenessProbe: { tcpSocket: { port: GATEWAY_PORT }, periodSeconds: 20, failureThreshold: 3 },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      // Squid writes nothing but what it must: its runtime files and the (unused) spool.
      { name: "tmp", mountPath: "/tmp" },
      { name: "run", mountPath: "/run/squid" },
      { name: "spool", mountPath: "/var/spool/squid" },
      { name: "logs", mountPath: "/var/log/squid" },
    ],
  };
}

/** The objects of one gateway, and the URL its clients use. */
export interface EgressGatewayResources {
  proxyUrl: pulumi.Output<string>;
  deployment: k8s.apps.v1.Deployment;
  service: k8s.core.v1.Service;
  networkPolicy: k8s.networking.v1.NetworkPolicy;
}

/** Creates a gateway: its squid.conf, Deployment, Service, NetworkPolicy, and a PDB when replicated. */
export function egressGatewayResources(placement: GatewayPlacement, settings: EgressGatewaySettings, opts: pulumi.CustomResourceOptions): EgressGatewayResources {
  const p = { ...placement, podLabels: { ...placement.podLabels, ...GATEWAY_POD_LABELS } };
  const config = new k8s.core.v1.ConfigMap(`${p.name}-egress-gateway`, {
    metadata: { namespace: p.namespace, labels: p.labels },
    data: {
      "squid.conf": squidConfig({
        port: GATEWAY_PORT,
        clientCidrs: p.clusterCidrs,
        blockedDomains: settings.blockedDomains,
        allowedDomains: settings.allowedDomains,
      }),
    },
  }, opts);
  const networkPolicy = new k8s.networking.v1.NetworkPolicy(`${p.name}-egress-gateway`, {
    metadata: { name: `${p.name}-egress-gateway`, namespace: p.namespace, labels: p.labels },
    spec: gatewayNetworkPolicySpec(p),
  }, opts);
  const deployment = new k8s.apps.v1.Deployment(`${p.name}-egress-gateway`, {
    metadata: { name: `${p.name}-egress-gateway`, namespace: p.namespace, labels: p.labels },
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: p.podLabels },
      template: {
        metadata: { labels: { ...p.labels, ...p.podLabels } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, fsGroup: PROXY_UID, seccompProfile: { type: "RuntimeDefault" } },
          containers: [gatewayContainer(settings)],
          topologySpreadConstraints: settings.replicas > 1 ? topologySpread(p.podLabels) : undefined,
          volumes: [
            { name: "config", configMap: { name: config.metadata.name } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            { name: "run", emptyDir: { sizeLimit: "8Mi" } },
            { name: "spool", emptyDir: { sizeLimit: "8Mi" } },
            { name: "logs", emptyDir: { sizeLimit: "8Mi" } },
          ],
        },
      },
    },
  }, { ...opts, dependsOn: [networkPolicy] });
  const service = new k8s.core.v1.Service(`${p.name}-egress-gateway`, {
    metadata: { name: `${p.name}-egress-gateway`, namespace: p.namespace, labels: p.labels },
    spec: { selector: p.podLabels, ports: [{ name: "proxy", port: GATEWAY_PORT, targetPort: GATEWAY_PORT, protocol: "TCP" }] },
  }, opts);
  if (settings.replicas > 1) {
    new k8s.policy.v1.PodDisruptionBudget(`${p.name}-egress-gateway`, {
      metadata: { name: `${p.name}-egress-gateway`, namespace: p.namespace, labels: p.labels },
      spec: { minAvailable: 1, selector: { matchLabels: p.podLabels } },
    }, opts);
  }
  const proxyUrl = pulumi.interpolate`http://${service.metadata.name}.${p.namespace}.svc.cluster.local:${GATEWAY_PORT}`;
  return { proxyUrl, deployment, service, networkPolicy };
}

/** An instance's own gateway, in its namespace, for its web and sidekiq pods. */
export function instanceEgressGateway(ctx: BuildContext): EgressGatewayResources {
  const config = ctx.config;
  return egressGatewayResources({
    name: ctx.name,
    namespace: ctx.namespace,
    podLabels: { "app.kubernetes.io/name": PART_OF, "app.kubernetes.io/instance": ctx.name },
    labels: { ...instanceLabels(ctx.name), ...GATEWAY_POD_LABELS },
    clients: [{
      podSelector: {
        matchLabels: { "app.kubernetes.io/name": PART_OF, "app.kubernetes.io/instance": ctx.name },
        matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["web", "sidekiq"] }],
      },
    }],
    clusterCidrs: config.clusterCidrs,
    dns: config.dns,
  }, config.egressGateway!.settings, childOpts(ctx));
}

/** The egress gateway's entry in the policy pack's `egressGateways`, for a gateway with these pod labels. */
export function packEntry(namespace: string, podLabels: Record<string, string>) {
  return { namespace, podSelector: { matchLabels: { ...podLabels, ...GATEWAY_POD_LABELS } } };
}
