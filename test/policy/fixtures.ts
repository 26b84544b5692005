/** Builders of Kubernetes resources as a Pulumi program registers them, for the policy specs. */
import { CheckConfig, CheckedResource, Finding, runPolicies } from "../../policy/check";

export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const SERVICE = "kubernetes:core/v1:Service";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

export const DEFAULT_ALLOWED = "allowed ranges: 10.42.0.0/16, 10.43.0.0/16";

/** A NetworkPolicy in namespace "mastodon" (unless `namespace` says otherwise; null leaves it out). */
export function networkPolicy(
  name: string,
  spec: Record<string, any>,
  namespace: string | null = "mastodon",
): CheckedResource {
  const metadata: Record<string, any> = { name };
  if (namespace !== null) metadata.namespace = namespace;
  return { type: NETWORK_POLICY, name, props: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec } };
}

/** An egress-only NetworkPolicy over every pod of its namespace, with the given egress rules. */
export function egressPolicy(egress: any, name = "egress", namespace: string | null = "mastodon"): CheckedResource {
  return networkPolicy(name, { podSelector: {}, policyTypes: ["Egress"], egress }, namespace);
}

/** An egress-only NetworkPolicy with a single rule allowing the one ipBlock. */
export function ipBlockPolicy(cidr: string, except?: string[]): CheckedResource {
  return egressPolicy([{ to: [{ ipBlock: except ? { cidr, except } : { cidr } }] }]);
}

export interface WorkloadOptions {
  namespace?: string | null;
  labels?: Record<string, string>;
  hostNetwork?: boolean;
}

/** The workload kinds, with their type token and how their manifest wraps the pod template. */
export const WORKLOADS: Array<{ kind: string; type: string; apiVersion: string }> = [
  { kind: "Deployment", type: "kubernetes:apps/v1:Deployment", apiVersion: "apps/v1" },
  { kind: "StatefulSet", type: "kubernetes:apps/v1:StatefulSet", apiVersion: "apps/v1" },
  { kind: "DaemonSet", type: "kubernetes:apps/v1:DaemonSet", apiVersion: "apps/v1" },
  { kind: "ReplicaSet", type: "kubernetes:apps/v1:ReplicaSet", apiVersion: "apps/v1" },
  { kind: "Job", type: "kubernetes:batch/v1:Job", apiVersion: "batch/v1" },
  { kind: "CronJob", type: "kubernetes:batch/v1:CronJob", apiVersion: "batch/v1" },
  { kind: "Pod", type: "kubernetes:core/v1:Pod", apiVersion: "v1" },
];

/** A workload of the given kind whose pods carry `labels` (default app=web) in namespace "mastodon". */
export function workload(kind: string, name: string, options: WorkloadOptions = {}): CheckedResource {
  const shape = WORKLOADS.find((w) => w.kind === kind);
  if (!shape) throw new Error(`unknown workload kind ${kind}`);
  const labels = options.labels ?? { app: "web" };
  const metadata: Record<string, any> = { name };
  const namespace = options.namespace === undefined ? "mastodon" : options.namespace;
  if (namespace !== null) metadata.namespace = namespace;
  const podSpec: Record<string, any> = { containers: [{ name: "main", image: "ghcr.io/mastodon/mastodon:v4.3.0" }] };
  if (options.hostNetwork !== undefined) podSpec.hostNetwork = options.hostNetwork;
  const template = { metadata: { labels }, spec: podSpec };
  let spec: Record<string, any>;
  switch (kind) {
    case "Pod":
      return { type: shape.type, name, props: { apiVersion: shape.apiVersion, kind, metadata: { ...metadata, labels }, spec: podSpec } };
    case "CronJob":
      spec = { schedule: "0 * * * *", jobTemplate: { spec: { template } } };
      break;
    case "Job":
      spec = { template };
      break;
    default:
      spec = { selector: { matchLabels: labels }, template };
  }
  return { type: shape.type, name, props: { apiVersion: shape.apiVersion, kind, metadata, spec } };
}

export function deployment(name: string, options: WorkloadOptions = {}): CheckedResource {
  return workload("Deployment", name, options);
}

export function service(name: string, spec: Record<string, any>, namespace = "mastodon"): CheckedResource {
  return { type: SERVICE, name, props: { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec } };
}

/** The findings of one policy. */
export function findings(policy: string, resources: CheckedResource[], config?: CheckConfig): Finding[] {
  return runPolicies(resources, config).filter((f) => f.policy === policy);
}

/** The messages of one policy's findings. */
export function messages(policy: string, resources: CheckedResource[], config?: CheckConfig): string[] {
  return findings(policy, resources, config).map((f) => f.message);
}
