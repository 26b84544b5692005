/**
 * The network boundary. Every pod of the instance is denied all ingress and egress, then allowed:
 *   - DNS to the cluster DNS (53/UDP and TCP);
 *   - Mastodon pods (web, streaming, sidekiq, Jobs) to the embedded PostgreSQL and Redis, and
 *     those servers from them only (a Redis Sentinel set's pods also from and to each other, on 6379 and 26379); with
 *     CloudNativePG, to its PgBouncer pods (the migration Jobs to its PostgreSQL pods), whose own policies are
 *     cloudNativePg.ts's; to external ones on their ports, by address (the cluster's ranges) and, as
 *     some network plugins match pod addresses only by pod selectors, by the pods of the Service's namespace;
 *   - the ingress controller to web (3000) and streaming (4000);
 *   - KEDA's operator to the embedded Redis, or to sidekiq's metrics port, when it scales a sidekiq group (it reads
 *     the queues' length, or their latency);
 *   - with search on, web, sidekiq and the index Job, and only they, to the search server's port; the embedded
 *     server from them only (and, like PostgreSQL and Redis, to nothing but the cluster DNS);
 *   - web and sidekiq, and only they, to the peers they need and on their ports only: the ingress controller's
 *     pods (other instances of the cluster, reached through their route once the Service address is
 *     translated), the configured mail server and object store, and the egress gateway; never every pod on every
 *     port, so a remote post pointing at an in-cluster service finds nothing to talk to;
 *   - with `allowPublicEgress`, web and sidekiq to the internet (0.0.0.0/0, ::/0): direct egress, which fails the
 *     policy pack; with an egress gateway, only the gateway reaches beyond the cluster (egressGateway.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { GATEWAY_PORT, SEARCH_PORT, type MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { POSTGRES_PORT, cloudNativePgInstancePods, cloudNativePgPoolerPods } from "./database";
import { Component, MASTODON_COMPONENTS, SEARCH_CLIENTS, instanceLabels, selectorLabels } from "./names";
import { METRICS_PORT } from "./metrics";
import { REDIS_PORT } from "./redis";
import { SENTINEL_PORT, sentinelEndpoints } from "./redisSentinel";
import { kedaReads } from "./workloads/scaling";
import { STREAMING_PORT } from "./workloads/streaming";
import { WEB_PORT } from "./workloads/web";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** CoreDNS in k3s and most distributions. */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53, cidrs: [] as string[] };
export const PUBLIC_CIDRS = ["0.0.0.0/0", "::/0"];

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The cluster DNS as a NetworkPolicy reaches it: its pods, and the addresses of a node-local cache. */
export interface DnsSettings {
  namespace: string;
  podLabels: Record<string, string>;
  port: number;
  /** NodeLocal DNSCache listens on a link-local address (169.254.20.10) on every node: reached by address. */
  cidrs: string[];
}

/** Egress to the cluster DNS over UDP and TCP: the first rule of every egress-isolated pod. */
export function dnsEgress(dns: DnsSettings): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: dns.namespace } },
        podSelector: { matchLabels: dns.podLabels },
      },
      ...dns.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ],
    ports: [{ protocol: "UDP", port: dns.port }, { protocol: "TCP", port: dns.port }],
  };
}

/** Egress to k3s's CoreDNS, 53 over UDP and TCP. */
export const DNS_EGRESS = dnsEgress(CLUSTER_DNS);

/** The pods of some of an instance's components. */
export function selectComponents(name: string, components: Component[]) {
  return {
    matchLabels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": "mastodon" },
    matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: components }],
  };
}

export function cidrPeers(cidrs: string[]): Peer[] {
  // Normalise to the network address (10.42.1.0/16 → 10.42.0.0/16), as Kubernetes expects.
  return cidrs.map((c) => {
    const [addr, bits] = ipaddr.parseCIDR(c);
    const network = addr.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(c).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(c).toString();
    return { ipBlock: { cidr: `${network}/${bits}` } };
  });
}

/**
 * The pods that may serve an external server's `host`, for a port-limited egress rule: the pods of the Service's
 * namespace when the host names one ("pg", "pg.db", "pg.db.svc", "pg.db.svc.cluster.local"); any namespace's
 * pods when it is an address or another name (the rule's port still limits it).
 */
export function serverPeer(host: string, ownNamespace: string): Peer {
  const labels = host.replace(/\.$/, "").split(".");
  if (ipaddr.isValid(host)) return { namespaceSelector: {} };
  const namespace = labels.length === 1 ? ownNamespace : labels.length === 2 || labels[2] === "svc" ? labels[1] : undefined;
  return namespace ? { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } } : { namespaceSelector: {} };
}

/** The ports the ingress controller's pods listen on for other instances: Traefik's 8000/8443, or 80/443. */
export const INGRESS_CONTROLLER_PORTS = [80, 443, 8000, 8443];
/** Labels every egress gateway's pods carry, this component's or a MastodonPlatform's. */
export const GATEWAY_POD_LABELS = { "app.kubernetes.io/component": "egress-gateway" };

/** A server's peers: its Service's namespace's pods, and its address when it is one. */
export function addressedServerPeers(host: string, ownNamespace: string): Peer[] {
  const peers = [serverPeer(host, ownNamespace)];
  if (ipaddr.isValid(host)) peers.push({ ipBlock: { cidr: `${host}/${ipaddr.parse(host).kind() === "ipv4" ? 32 : 128}` } });
  return peers;
}

/** The port of an S3 endpoint URL. */
export function endpointPort(endpoint: string): number {
  const url = new URL(endpoint);
  return url.port !== "" ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

function serverPeers(hosts: (pulumi.Input<string> | undefined)[], ownNamespace: string): pulumi.Input<Peer>[] {
  const given = hosts.filter((h): h is pulumi.Input<string> => h !== undefined);
  const plain = [...new Set(given.filter((h): h is string => typeof h === "string"))];
  const deferred = given.filter((h) => typeof h !== "string");
  return [...plain.map((h) => serverPeer(h, ownNamespace)), ...deferred.map((h) => pulumi.output(h).apply((v) => serverPeer(v, ownNamespace)))];
}

/** The NetworkPolicy specs of an instance, by name suffix: pure, so tests read them directly. */
export function networkPolicySpecs(config: MastodonConfig): Record<string, NetworkPolicySpec> {
  const name = config.name;
  const mastodon = selectComponents(name, MASTODON_COMPONENTS);
  const federating = selectComponents(name, ["web", "sidekiq"]);
  const controller: Peer = {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: config.ingress.controllerNamespace } },
    podSelector: { matchLabels: config.ingress.controllerPodLabels },
  };

  const specs: Record<string, NetworkPolicySpec> = {
    "default-deny": {
      podSelector: { matchLabels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": "mastodon" } },
      policyTypes: ["Ingress", "Egress"],
    },
    dns: {
      podSelector: { matchLabels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": "mastodon" } },
      policyTypes: ["Egress"],
      egress: [dnsEgress(config.dns)],
    },
    "ingress-controller": {
      podSelector: selectComponents(name, ["web", "streaming"]),
      policyTypes: ["Ingress"],
      ingress: [{ from: [controller], ports: [{ protocol: "TCP", port: WEB_PORT }, { protocol: "TCP", port: STREAMING_PORT }] }],
    },
  };

  // The data tier: pods when embedded; when external, the pods of its Service's namespace and the cluster's
  // ranges (isolated) or anywhere, on its port.
  const external = {
    postgresql: config.postgresql.external && { port: config.postgresql.external.port, hosts: [config.postgresql.external.host, config.postgresql.external.directHost] },
    redis: config.redis.external && { port: config.redis.external.port, hosts: [config.redis.external.host] },
  };
  const cnpg = config.postgresql.cloudNativePG;
  const dataEgress = (component: "postgresql" | "redis", port: number) => {
    if (component === "postgresql" && cnpg) {
      return { to: [{ podSelector: cnpg.pooler ? cloudNativePgPoolerPods(name) : cloudNativePgInstancePods(name) }], ports: [{ protocol: "TCP", port }] };
    }
    const server = external[component];
    if (!server) return { to: [{ podSelector: { matchLabels: selectorLabels(name, component) } }], ports: [{ protocol: "TCP", port }] };
    const ranges = cidrPeers(config.allowPublicEgress ? PUBLIC_CIDRS : config.clusterCidrs);
    return { to: [...serverPeers(server.hosts, config.namespace), ...ranges], ports: [{ protocol: "TCP", port: server.port }] };
  };
  const sentinel = sentinelEndpoints(config);
  const redisPorts = (ports: number[]) => [...new Set(ports)].map((port) => ({ protocol: "TCP", port }));
  // A Sentinel set: its sentinels, and the Redis servers they name (beside them, on the servers' port).
  const redisEgress = !sentinel ? [dataEgress("redis", REDIS_PORT)]
    : config.redis.sentinel ? [{ to: [{ podSelector: { matchLabels: selectorLabels(name, "redis") } }], ports: redisPorts([REDIS_PORT, SENTINEL_PORT]) }]
      : [{
        to: [...serverPeers(sentinel.sentinels.map((s) => s.host), config.namespace), ...cidrPeers(config.allowPublicEgress ? PUBLIC_CIDRS : config.clusterCidrs)],
        ports: redisPorts([config.redis.external!.port, ...sentinel.sentinels.map((s) => s.sentinelPort)]),
      }];
  const cacheEgress = config.redis.cache.enabled
    ? [{ to: [{ podSelector: { matchLabels: selectorLabels(name, "redis-cache") } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }]
    : [];
  specs["mastodon-data"] = {
    podSelector: mastodon,
    policyTypes: ["Egress"],
    egress: [
      dataEgress("postgresql", POSTGRES_PORT),
      ...redisEgress,
      ...cacheEgress,
    ],
  };
  if (cnpg?.pooler) {
    // The migration Jobs bypass PgBouncer (migrations need a session of their own).
    specs["db-migrate-postgresql"] = {
      podSelector: selectComponents(name, ["db-migrate"]),
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: cloudNativePgInstancePods(name) }], ports: [{ protocol: "TCP", port: POSTGRES_PORT }] }],
    };
  }
  if (config.postgresql.embedded) {
    specs.postgresql = {
      podSelector: { matchLabels: selectorLabels(name, "postgresql") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: POSTGRES_PORT }] }],
    };
  }
  if (config.redis.sentinel) {
    // Mastodon's pods reach Redis and the sentinels; the set's pods reach each other (replication, the sentinels'
    // checks and their gossip through the master), and nothing else.
    const set = { podSelector: { matchLabels: selectorLabels(name, "redis") } };
    specs.redis = {
      podSelector: { matchLabels: selectorLabels(name, "redis") },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: mastodon }, set], ports: redisPorts([REDIS_PORT, SENTINEL_PORT]) }],
      egress: [{ to: [set], ports: redisPorts([REDIS_PORT, SENTINEL_PORT]) }],
    };
  } else if (config.redis.embedded) {
    specs.redis = {
      podSelector: { matchLabels: selectorLabels(name, "redis") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
    };
  }
  // KEDA's operator reads the length of sidekiq's queues in the embedded Redis, or their latency from the sidekiq
  // pods' exporter, for the groups it scales: its pods alone are admitted, on that port alone.
  const keda = kedaReads(config);
  const kedaOperator: Peer = { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: config.keda.namespace } }, podSelector: { matchLabels: config.keda.operatorPodLabels } };
  if (config.redis.embedded && keda.backlog) {
    specs["keda-redis"] = {
      podSelector: { matchLabels: selectorLabels(name, "redis") },
      policyTypes: ["Ingress"],
      // A Sentinel set: the sentinels first, then the master they name.
      ingress: [{ from: [kedaOperator], ports: redisPorts(config.redis.sentinel ? [REDIS_PORT, SENTINEL_PORT] : [REDIS_PORT]) }],
    };
  }
  if (keda.latency) {
    specs["keda-metrics"] = {
      podSelector: { matchLabels: selectorLabels(name, "sidekiq") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [kedaOperator], ports: [{ protocol: "TCP", port: METRICS_PORT }] }],
    };
  }
  if (config.redis.cache.enabled) {
    specs["redis-cache"] = {
      podSelector: { matchLabels: selectorLabels(name, "redis-cache") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
    };
  }
  // Search: its clients to the server's port, by pod (embedded) or by address (external), and the embedded server
  // from them only.
  const search = config.search;
  if (search.enabled) {
    const clients = selectComponents(name, SEARCH_CLIENTS);
    const external = search.external;
    const to = external
      ? [...serverPeers([external.host], config.namespace), ...cidrPeers(config.allowPublicEgress ? PUBLIC_CIDRS : config.clusterCidrs)]
      : [{ podSelector: { matchLabels: selectorLabels(name, "search") } }];
    specs["search-clients"] = {
      podSelector: clients,
      policyTypes: ["Egress"],
      egress: [{ to, ports: [{ protocol: "TCP", port: external ? external.port : SEARCH_PORT }] }],
    };
    if (!external) {
      specs.search = {
        podSelector: { matchLabels: selectorLabels(name, "search") },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: clients }], ports: [{ protocol: "TCP", port: SEARCH_PORT }] }],
      };
    }
  }
  // Web and sidekiq: the peers they need, each on its ports. Another instance of the cluster is reached through the
  // ingress controller's pods once its Service address is translated (policies see the pod, on its own port).
  const peerEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
    { to: [controller], ports: INGRESS_CONTROLLER_PORTS.map((port) => ({ protocol: "TCP", port })) },
  ];
  if (config.smtp) {
    peerEgress.push({ to: addressedServerPeers(config.smtp.server, config.namespace), ports: [{ protocol: "TCP", port: config.smtp.port }] });
  }
  if (config.media.s3) {
    const endpoint = config.media.s3.endpoint;
    peerEgress.push({ to: addressedServerPeers(new URL(endpoint).hostname.replace(/^\[|\]$/g, ""), config.namespace), ports: [{ protocol: "TCP", port: endpointPort(endpoint) }] });
  }
  const gateway = config.egressGateway;
  if (gateway) {
    const namespace = gateway.own ? config.namespace : gateway.namespace!;
    peerEgress.push({
      to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } }, podSelector: { matchLabels: GATEWAY_POD_LABELS } }] as Peer[],
      ports: [{ protocol: "TCP", port: GATEWAY_PORT }],
    });
  }
  specs["cluster-egress"] = { podSelector: federating, policyTypes: ["Egress"], egress: peerEgress };
  if (config.allowPublicEgress) {
    specs["public-egress"] = {
      podSelector: federating,
      policyTypes: ["Egress"],
      egress: [{ to: cidrPeers(PUBLIC_CIDRS) }],
    };
  }
  return specs;
}

export function networkPolicies(ctx: BuildContext): k8s.networking.v1.NetworkPolicy[] {
  return Object.entries(networkPolicySpecs(ctx.config)).map(([id, spec]) => {
    const fullName = `${ctx.name}-${id}`;
    return new k8s.networking.v1.NetworkPolicy(fullName, {
      metadata: { name: fullName, namespace: ctx.namespace, labels: instanceLabels(ctx.name) },
      spec,
    }, childOpts(ctx));
  });
}

