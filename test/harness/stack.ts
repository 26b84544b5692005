/** Reading a recorded deployment: lookups by kind and name, and the dependency graph. */
import type { MastodonClusterArgs } from "../../provider";
import { MastodonCluster } from "../../provider";
import { RecordedResource, runProgram } from "./mocks";

export const KIND = {
  Namespace: "kubernetes:core/v1:Namespace",
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  Secret: "kubernetes:core/v1:Secret",
  Service: "kubernetes:core/v1:Service",
  PersistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
  Deployment: "kubernetes:apps/v1:Deployment",
  StatefulSet: "kubernetes:apps/v1:StatefulSet",
  Job: "kubernetes:batch/v1:Job",
  NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  Certificate: "kubernetes:cert-manager.io/v1:Certificate",
  Issuer: "kubernetes:cert-manager.io/v1:Issuer",
  ClusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  IngressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  Middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  CertManager: "kubernetes-cert-manager:index:CertManager",
} as const;

export const WORKLOAD_KINDS: string[] = [KIND.Deployment, KIND.StatefulSet, KIND.Job];

export class Stack {
  private byUrn: Map<string, RecordedResource>;
  constructor(readonly resources: RecordedResource[]) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The resource of `type` named `name` (the Pulumi name); fails loudly if absent. */
  get(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; have: ${this.ofType(type).map((r) => r.name).join(", ")}`);
    return found;
  }

  find(type: string, name: string): RecordedResource | undefined {
    return this.resources.find((r) => r.type === type && r.name === name);
  }

  /** Workloads' pod templates: Deployments, StatefulSets and Jobs. */
  workloads(): RecordedResource[] {
    return this.resources.filter((r) => WORKLOAD_KINDS.includes(r.type));
  }

  /** Resources `r` depends on directly (dependsOn and inputs), as the engine sees it. */
  directDependencies(r: RecordedResource): RecordedResource[] {
    return r.dependencies.map((u) => this.byUrn.get(u)).filter((x): x is RecordedResource => x !== undefined);
  }

  /** True when `from` waits for `to`, directly or through other resources. */
  dependsOn(from: RecordedResource, to: RecordedResource): boolean {
    const seen = new Set<string>();
    const stack = [...from.dependencies];
    while (stack.length > 0) {
      const urn = stack.pop()!;
      if (urn === to.urn) return true;
      if (seen.has(urn)) continue;
      seen.add(urn);
      stack.push(...(this.byUrn.get(urn)?.dependencies ?? []));
    }
    return false;
  }

  parentOf(r: RecordedResource): RecordedResource | undefined {
    return this.byUrn.get(r.parent);
  }
}

/** Deploys one MastodonCluster on the mock runtime and returns what was registered. */
export async function deploy(args: MastodonClusterArgs, name = "social"): Promise<{ stack: Stack; cluster: MastodonCluster }> {
  const { result, resources } = await runProgram(() => new MastodonCluster(name, args));
  return { stack: new Stack(resources), cluster: result };
}

/** The value of an Output, as a promise (in a non-preview run every output resolves). */
export function valueOf<T>(output: { apply<U>(f: (t: T) => U): unknown }): Promise<T> {
  return new Promise((resolve) => output.apply((v: T) => { resolve(v); return v; }));
}

/** `inputs` without the paths the engine ignores on an existing resource ("metadata.annotations"), as it diffs them. */
export function withoutIgnored(inputs: any, ignoreChanges: string[] = []): any {
  const copy = JSON.parse(JSON.stringify(inputs ?? {}));
  for (const path of ignoreChanges) {
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce((v: any, k) => v?.[k], copy);
    if (parent && typeof parent === "object") delete parent[keys[keys.length - 1]];
  }
  return copy;
}

/** Desired state keyed by URN, for comparing two runs. */
export function desiredState(resources: RecordedResource[]): Map<string, string> {
  return new Map(resources.map((r) => [r.urn, JSON.stringify({ inputs: withoutIgnored(r.inputs, r.ignoreChanges), deps: [...r.dependencies].sort(), retain: r.retainOnDelete, protect: r.protect })]));
}

/** URNs whose desired state differs between two runs (added, removed or changed). */
export function changedUrns(before: RecordedResource[], after: RecordedResource[]): string[] {
  const a = desiredState(before);
  const b = desiredState(after);
  const urns = new Set([...a.keys(), ...b.keys()]);
  return [...urns].filter((u) => a.get(u) !== b.get(u)).sort();
}
