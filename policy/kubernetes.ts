/**
 * What the policies need to know about Kubernetes objects as Pulumi passes them: the type tokens, where each
 * workload keeps its pod template, and how to name an object in a message ("Deployment/mastodon/web").
 */
import { UnknownValueError } from "@pulumi/policy";

export const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** Where a workload's pod template sits in its object: the path to the object with `metadata` and `spec`. */
export interface WorkloadShape {
  readonly kind: string;
  readonly templatePath: readonly string[];
}

const POD_TEMPLATE = ["spec", "template"];

/** Every workload type token that runs pods, with the path to its pod template (a Pod is its own template). */
export const WORKLOAD_TYPES: ReadonlyMap<string, WorkloadShape> = new Map<string, WorkloadShape>([
  ["kubernetes:apps/v1:Deployment", { kind: "Deployment", templatePath: POD_TEMPLATE }],
  ["kubernetes:apps/v1:StatefulSet", { kind: "StatefulSet", templatePath: POD_TEMPLATE }],
  ["kubernetes:apps/v1:DaemonSet", { kind: "DaemonSet", templatePath: POD_TEMPLATE }],
  ["kubernetes:apps/v1:ReplicaSet", { kind: "ReplicaSet", templatePath: POD_TEMPLATE }],
  ["kubernetes:batch/v1:Job", { kind: "Job", templatePath: POD_TEMPLATE }],
  ["kubernetes:batch/v1:CronJob", { kind: "CronJob", templatePath: ["spec", "jobTemplate", "spec", "template"] }],
  ["kubernetes:core/v1:Pod", { kind: "Pod", templatePath: [] }],
]);

/**
 * Custom resources whose operator runs pods the stack never declares, with the labels the operator gives them:
 * CloudNativePG's Cluster (its PostgreSQL pods: `cnpg.io/cluster` = the Cluster's name) and Pooler (its PgBouncer
 * pods: `cnpg.io/poolerName` = the Pooler's name). Reading the name may throw UnknownValueError during preview.
 */
export interface OperatedShape {
  readonly kind: string;
  readonly podLabels: (props: any) => Map<string, string>;
}

function objectName(props: any): string | undefined {
  const name = isObject(props) && isObject(props.metadata) ? props.metadata.name : undefined;
  return typeof name === "string" && name !== "" ? name : undefined;
}

export const OPERATED_TYPES: ReadonlyMap<string, OperatedShape> = new Map<string, OperatedShape>([
  ["kubernetes:postgresql.cnpg.io/v1:Cluster", {
    kind: "Cluster",
    podLabels: (props) => new Map([["cnpg.io/cluster", objectName(props) ?? ""], ["cnpg.io/podRole", "instance"]]),
  }],
  ["kubernetes:postgresql.cnpg.io/v1:Pooler", {
    kind: "Pooler",
    podLabels: (props) => {
      const cluster = isObject(props) && isObject(props.spec) && isObject(props.spec.cluster) ? props.spec.cluster.name : undefined;
      return new Map([
        ["cnpg.io/poolerName", objectName(props) ?? ""],
        ["cnpg.io/podRole", "pooler"],
        ...(typeof cluster === "string" ? [["cnpg.io/cluster", cluster] as [string, string]] : []),
      ]);
    },
  }],
]);

/** A workload's pod template and the dotted path to it ("spec.template", or "" for a Pod). */
export interface PodTemplate {
  readonly template: any;
  readonly path: string;
}

export function podTemplateOf(shape: WorkloadShape, props: any): PodTemplate {
  let template = props;
  for (const key of shape.templatePath) template = isObject(template) ? template[key] : undefined;
  return { template, path: shape.templatePath.join(".") };
}

/** The namespace an object lands in when its manifest names none. */
export const DEFAULT_NAMESPACE = "default";

/** The object's namespace. Reading it may throw UnknownValueError during preview, as it should: it decides matches. */
export function namespaceOf(props: any): string {
  const metadata = isObject(props) ? props.metadata : undefined;
  const namespace = isObject(metadata) ? metadata.namespace : undefined;
  return typeof namespace === "string" && namespace !== "" ? namespace : DEFAULT_NAMESPACE;
}

/**
 * "Kind/namespace/name" for messages. Only a label: an unknown name or namespace falls back to the Pulumi resource
 * name or "default" instead of turning the whole check into a preview advisory.
 */
export function refOf(kind: string, props: any, resourceName: string): string {
  const name = readOrUndefined(() => (isObject(props) && isObject(props.metadata) ? props.metadata.name : undefined));
  const namespace = readOrUndefined(() => namespaceOf(props)) ?? DEFAULT_NAMESPACE;
  return `${kind}/${namespace}/${typeof name === "string" && name !== "" ? name : resourceName}`;
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null;
}

function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError) return undefined;
    throw e;
  }
}
