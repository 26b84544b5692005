/**
 * The pack's `egressGateways` setting: the workloads allowed to reach public addresses beyond the cluster CIDRs,
 * each named by a namespace and a pod selector (`{ "namespace": "social", "podSelector": { "matchLabels": {...} } }`).
 * Empty by default: then nothing changes.
 *
 * A NetworkPolicy is a gateway's only when it lives in the entry's namespace and its podSelector can select no pod
 * the entry's selector would not: every requirement of the entry is implied by a requirement of the policy's
 * selector (checked requirement by requirement, so a selector that merely happens to overlap is not enough). Such a
 * policy may also reach public addresses (publicAddresses.ts), never private, loopback, link-local or other
 * non-public ones outside the cluster CIDRs.
 */
import { AddressSet, toCidrs, union } from "./cidr";
import { ClusterCidrs } from "./config";
import { isObject } from "./kubernetes";
import { LabelSelector, parseLabelSelector, Requirement } from "./labelSelector";
import { PUBLIC } from "./publicAddresses";

export interface EgressGateway {
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  /** How messages name it: `social/{"app.kubernetes.io/component":"egress-gateway"}`. */
  readonly text: string;
}

export type GatewaysResult = { ok: true; value: readonly EgressGateway[] } | { ok: false; error: string };

/** A Kubernetes namespace name (DNS-1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SELECTOR_EXAMPLE = '{"matchLabels": {"app.kubernetes.io/component": "egress-gateway"}}';

/** Parses a raw `egressGateways` value; absent means none. Every bad entry is named in the error. */
export function parseEgressGateways(raw: unknown): GatewaysResult {
  if (raw === undefined || raw === null) return { ok: true, value: [] };
  if (!Array.isArray(raw)) {
    return {
      ok: false,
      error: `egressGateways: got ${JSON.stringify(raw)}; expected a list of {"namespace": ..., "podSelector": ...} entries`,
    };
  }
  const gateways: EgressGateway[] = [];
  const errors: string[] = [];
  raw.forEach((entry: unknown, i: number) => {
    const path = `egressGateways[${i}]`;
    if (!isObject(entry)) {
      errors.push(`${path}: got ${JSON.stringify(entry)}; expected an object with a namespace and a podSelector`);
      return;
    }
    const { namespace, podSelector } = entry;
    const unknownKeys = Object.keys(entry).filter((k) => k !== "namespace" && k !== "podSelector");
    if (unknownKeys.length > 0) errors.push(`${path}: got the keys ${JSON.stringify(unknownKeys)}; expected only namespace and podSelector`);
    const namespaceOk = typeof namespace === "string" && namespace.length <= 63 && NAMESPACE.test(namespace);
    if (!namespaceOk) errors.push(`${path}.namespace: got ${JSON.stringify(namespace)}; expected a namespace name such as "social"`);
    // The selector must be given, even empty ({} = every pod of the namespace): leaving it out is more likely a
    // slip than a wish to exempt a whole namespace.
    const selector = isObject(podSelector) ? parseLabelSelector(podSelector) : undefined;
    if (!selector || !selector.valid) {
      errors.push(`${path}.podSelector: got ${JSON.stringify(podSelector)}; expected a label selector such as ${SELECTOR_EXAMPLE}`);
    }
    if (namespaceOk && selector && selector.valid) {
      gateways.push({ namespace: namespace as string, podSelector: selector, text: `${namespace}/${JSON.stringify(podSelector)}` });
    }
  });
  if (errors.length > 0) return { ok: false, error: errors.join("; ") };
  return { ok: true, value: gateways };
}

const cache = new Map<string, GatewaysResult>();
const CACHE_LIMIT = 32;

/** The `egressGateways` of a policy's config, parsed once per distinct value. */
export function egressGatewaysOf(args: { getConfig<T extends object>(): T }): GatewaysResult {
  const config = args.getConfig<{ egressGateways?: unknown }>();
  const raw = config === undefined || config === null ? undefined : config.egressGateways;
  if (raw === undefined || raw === null) return NONE;
  const key = JSON.stringify(raw);
  let result = cache.get(key);
  if (!result) {
    result = parseEgressGateways(raw);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
  }
  return result;
}

const NONE: GatewaysResult = { ok: true, value: [] };

/**
 * The gateway whose pods are the only ones a NetworkPolicy of `namespace` with `podSelector` can select, if any.
 * An invalid selector selects nothing in our reading but would be refused by Kubernetes: it is never a gateway's.
 */
export function gatewayOf(gateways: readonly EgressGateway[], namespace: string, podSelector: unknown): EgressGateway | undefined {
  let selector: LabelSelector | undefined;
  for (const gateway of gateways) {
    if (gateway.namespace !== namespace) continue;
    selector ??= parseLabelSelector(podSelector);
    if (selector.valid && implies(selector, gateway.podSelector)) return gateway;
  }
  return undefined;
}

/** True when every pod `narrow` selects is selected by `wide`, proven requirement by requirement. */
export function implies(narrow: LabelSelector, wide: LabelSelector): boolean {
  const given = requirementsOf(narrow);
  return requirementsOf(wide).every((needed) => given.some((have) => requirementImplies(have, needed)));
}

/** matchLabels as `In` requirements of one value, with the expressions. */
function requirementsOf(selector: LabelSelector): Requirement[] {
  return [
    ...selector.matchLabels.map(([key, value]): Requirement => ({ key, operator: "In", values: new Set([value]) })),
    ...selector.matchExpressions,
  ];
}

/** Does every label set satisfying `have` satisfy `needed`? */
function requirementImplies(have: Requirement, needed: Requirement): boolean {
  if (have.key !== needed.key) return false;
  const subset = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].every((v) => b.has(v));
  const disjoint = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].every((v) => !b.has(v));
  switch (needed.operator) {
    case "In":
      return have.operator === "In" && subset(have.values, needed.values);
    case "Exists":
      return have.operator === "In" || have.operator === "Exists";
    case "NotIn":
      return (
        (have.operator === "In" && disjoint(have.values, needed.values)) ||
        (have.operator === "NotIn" && subset(needed.values, have.values)) ||
        have.operator === "DoesNotExist"
      );
    case "DoesNotExist":
      return have.operator === "DoesNotExist";
  }
}

/** What a gateway's policy may reach: the cluster CIDRs and every public address. */
export interface GatewayAllowance extends ClusterCidrs {}

const allowances = new WeakMap<ClusterCidrs, GatewayAllowance>();

/** The cluster CIDRs widened by the public addresses, computed once per parsed config. */
export function gatewayAllowance(cluster: ClusterCidrs): GatewayAllowance {
  let allowance = allowances.get(cluster);
  if (!allowance) {
    const allowed: AddressSet = union(cluster.allowed, PUBLIC);
    allowance = { cidrs: cluster.cidrs, allowed, allowedCidrs: toCidrs(allowed), text: `${cluster.text} and public addresses` };
    allowances.set(cluster, allowance);
  }
  return allowance;
}
