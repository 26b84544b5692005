/**
 * Synthetic Kubernetes stacks for the policy benchmark: per 100 resources, one namespace holding 10 NetworkPolicies
 * with 10 egress ipBlocks each (IPv4 and IPv6, some with except lists, a few outside the cluster) and 90 other
 * objects (workloads of every kind, Services, ConfigMaps, Secrets), one workload per namespace left unselected.
 */
import { CheckedResource } from "../policy/check";

/** The config the synthetic stacks are written for. */
export const SYNTHETIC_CONFIG = { clusterCidrs: ["10.42.0.0/16", "10.43.0.0/16", "fd00:42::/56"] };

const PER_NAMESPACE = 100;
const POLICIES_PER_NAMESPACE = 10;
const BLOCKS_PER_POLICY = 10;

const WORKLOAD_MIX: Array<[string, string, number]> = [
  ["kubernetes:apps/v1:Deployment", "Deployment", 30],
  ["kubernetes:apps/v1:StatefulSet", "StatefulSet", 5],
  ["kubernetes:apps/v1:DaemonSet", "DaemonSet", 2],
  ["kubernetes:apps/v1:ReplicaSet", "ReplicaSet", 3],
  ["kubernetes:batch/v1:Job", "Job", 5],
  ["kubernetes:batch/v1:CronJob", "CronJob", 5],
  ["kubernetes:core/v1:Pod", "Pod", 5],
];
const OTHER_MIX: Array<[string, string, number]> = [
  ["kubernetes:core/v1:Service", "Service", 15],
  ["kubernetes:core/v1:ConfigMap", "ConfigMap", 10],
  ["kubernetes:core/v1:Secret", "Secret", 10],
];

/** A stack of exactly `size` resources (a multiple of 100). */
export function syntheticStack(size: number): CheckedResource[] {
  const resources: CheckedResource[] = [];
  for (let n = 0; n < size / PER_NAMESPACE; n++) resources.push(...namespaceResources(n));
  return resources;
}

function namespaceResources(n: number): CheckedResource[] {
  const namespace = `tenant-${n}`;
  const out: CheckedResource[] = [];
  for (let p = 0; p < POLICIES_PER_NAMESPACE; p++) out.push(networkPolicy(namespace, n, p));
  let w = 0;
  for (const [type, kind, count] of WORKLOAD_MIX) {
    for (let i = 0; i < count; i++, w++) {
      // Workload 0 of each namespace carries a label no NetworkPolicy selects.
      const app = w === 0 ? "stray" : `app-${w % POLICIES_PER_NAMESPACE}`;
      out.push(workload(type, kind, namespace, `${kind.toLowerCase()}-${i}`, app));
    }
  }
  for (const [type, kind, count] of OTHER_MIX) {
    for (let i = 0; i < count; i++) out.push(other(type, kind, namespace, `${kind.toLowerCase()}-${i}`));
  }
  return out;
}

function networkPolicy(namespace: string, n: number, p: number): CheckedResource {
  const to: any[] = [{ podSelector: { matchLabels: { app: "postgresql" } } }];
  for (let b = 0; b < BLOCKS_PER_POLICY; b++) {
    const third = (n * 7 + p * 13 + b) % 256;
    if (b === 9 && p === 0) {
      to.push({ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } });
    } else if (b % 4 === 3) {
      to.push({ ipBlock: { cidr: `fd00:42:0:${third.toString(16)}::/64` } });
    } else if (b % 4 === 1) {
      to.push({ ipBlock: { cidr: `10.42.${third}.0/24`, except: [`10.42.${third}.128/25`, `10.42.${third}.64/26`] } });
    } else {
      to.push({ ipBlock: { cidr: `10.43.${third}.0/24` } });
    }
  }
  const podSelector =
    p % 3 === 0
      ? { matchLabels: { "app.kubernetes.io/name": "mastodon", app: `app-${p}` } }
      : { matchLabels: { app: `app-${p}` }, matchExpressions: [{ key: "tier", operator: "In", values: ["front", "back"] }] };
  return {
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    name: `${namespace}-np-${p}`,
    urn: `urn:pulumi:bench::synthetic::kubernetes:networking.k8s.io/v1:NetworkPolicy::${namespace}-np-${p}`,
    props: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `np-${p}`, namespace },
      spec: { podSelector, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to, ports: [{ port: 443 }] }] },
    },
  };
}

function workload(type: string, kind: string, namespace: string, name: string, app: string): CheckedResource {
  const labels = { "app.kubernetes.io/name": "mastodon", app, tier: "front" };
  const pod = { metadata: { labels }, spec: { containers: [{ name: "main", image: "ghcr.io/mastodon/mastodon:v4.3.0" }] } };
  const spec =
    kind === "Pod" ? pod.spec : kind === "CronJob" ? { schedule: "@hourly", jobTemplate: { spec: { template: pod } } } : { selector: { matchLabels: labels }, template: pod };
  return {
    type,
    name: `${namespace}-${name}`,
    urn: `urn:pulumi:bench::synthetic::${type}::${namespace}-${name}`,
    props: { kind, metadata: kind === "Pod" ? { name, namespace, labels } : { name, namespace }, spec },
  };
}

function other(type: string, kind: string, namespace: string, name: string): CheckedResource {
  const props: Record<string, any> = { kind, metadata: { name, namespace } };
  if (kind === "Service") props.spec = { type: "ClusterIP", selector: { app: "app-1" }, ports: [{ port: 80 }] };
  else props.data = { key: "value" };
  return { type, name: `${namespace}-${name}`, urn: `urn:pulumi:bench::synthetic::${type}::${namespace}-${name}`, props };
}
