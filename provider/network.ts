/**
 * The network boundary. Every pod of the instance is denied all ingress and egress, then allowed:
 *   - DNS to the cluster DNS (53/UDP and TCP);
 *   - Mastodon pods (web, streaming, sidekiq, Jobs) to the embedded PostgreSQL and Redis, and
 *     those servers from them only; to external ones on their ports, by address (the cluster's ranges) and, as
 *     some network plugins match pod addresses only by pod selectors, by the pods of the Service's namespace;
 *   - the ingress controller to web (3000) and streaming (4000);
 *   - web and sidekiq to the cluster CIDRs, where other instances, the mail catcher and in-cluster
 *     object storage live (federation goes through the ingress controller's pods, which is why the
 *     pod range is needed: policies see the address after the Service's translation);
 *   - with `allowPublicEgress`, web and sidekiq to the internet (0.0.0.0/0, ::/0).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { POSTGRES_PORT } from "./database";
import { Component, MASTODON_COMPONENTS, instanceLabels, selectorLabels } from "./names";
import { REDIS_PORT } from "./redis";
import { STREAMING_PORT } from "./workloads/streaming";
import { WEB_PORT } from "./workloads/web";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** CoreDNS in k3s and most distributions. */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };
export const PUBLIC_CIDRS = ["0.0.0.0/0", "::/0"];

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Egress to the cluster DNS, 53 over UDP and TCP: the first rule of every egress-isolated pod. */
export const DNS_EGRESS: k8s.types.input.networking.v1.NetworkPolicyEgressRule = {
  to: [{
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: CLUSTER_DNS.namespace } },
    podSelector: { matchLabels: CLUSTER_DNS.podLabels },
  }],
  ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
};

function selectComponents(name: string, components: Component[]) {
  return {
    matchLabels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": "mastodon" },
    matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: components }],
  };
}

function cidrPeers(cidrs: string[]): Peer[] {
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
      egress: [DNS_EGRESS],
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
  const dataEgress = (component: "postgresql" | "redis", port: number) => {
    const server = external[component];
    if (!server) return { to: [{ podSelector: { matchLabels: selectorLabels(name, component) } }], ports: [{ protocol: "TCP", port }] };
    const ranges = cidrPeers(config.allowPublicEgress ? PUBLIC_CIDRS : config.clusterCidrs);
    return { to: [...serverPeers(server.hosts, config.namespace), ...ranges], ports: [{ protocol: "TCP", port: server.port }] };
  };
  const cacheEgress = config.redis.cache.enabled
    ? [{ to: [{ podSelector: { matchLabels: selectorLabels(name, "redis-cache") } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }]
    : [];
  specs["mastodon-data"] = {
    podSelector: mastodon,
    policyTypes: ["Egress"],
    egress: [
      dataEgress("postgresql", POSTGRES_PORT),
      dataEgress("redis", REDIS_PORT),
      ...cacheEgress,
    ],
  };
  if (config.postgresql.embedded) {
    specs.postgresql = {
      podSelector: { matchLabels: selectorLabels(name, "postgresql") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: POSTGRES_PORT }] }],
    };
  }
  if (config.redis.embedded) {
    specs.redis = {
      podSelector: { matchLabels: selectorLabels(name, "redis") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
    };
  }
  if (config.redis.cache.enabled) {
    specs["redis-cache"] = {
      podSelector: { matchLabels: selectorLabels(name, "redis-cache") },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: mastodon }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
    };
  }
  specs["cluster-egress"] = {
    podSelector: federating,
    policyTypes: ["Egress"],
    // Every pod of every namespace, besides the ranges: whether an ipBlock matches pod addresses is left to each
    // network plugin (kube-router does, Cilium does not), and another instance is reached through the ingress
    // controller's pods once its Service address is translated.
    egress: [{ to: [{ namespaceSelector: {} }, ...cidrPeers(config.clusterCidrs)] }],
  };
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

