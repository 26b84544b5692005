/**
 * The pack's settings. `clusterCidrs`, the address ranges egress may reach: every policy declares it and reads it
 * through `clusterCidrsOf`, which parses each distinct value once and caches it, because the engine asks every
 * policy for its config on every resource. `egressGateways` (egressGateways.ts) only concerns
 * networkpolicy-egress-outside-cluster, whose schema alone declares it.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { AddressSet, formatCidr, parseCidr, setOf, toCidrs, Cidr } from "./cidr";

/** k3s's default pod and service CIDRs. */
export const DEFAULT_CLUSTER_CIDRS: readonly string[] = ["10.42.0.0/16", "10.43.0.0/16"];

export const configSchema: PolicyConfigSchema = {
  properties: {
    clusterCidrs: {
      type: "array",
      items: { type: "string" },
      default: [...DEFAULT_CLUSTER_CIDRS],
      description:
        "The cluster's pod and service CIDRs (IPv4 or IPv6), the only addresses egress may reach. " +
        'Defaults to k3s\'s ["10.42.0.0/16", "10.43.0.0/16"].',
    },
  },
};

/** networkpolicy-egress-outside-cluster's schema: `clusterCidrs`, and the workloads allowed public egress. */
export const egressConfigSchema: PolicyConfigSchema = {
  properties: {
    ...configSchema.properties,
    egressGateways: {
      type: "array",
      items: {
        type: "object",
        properties: { namespace: { type: "string" }, podSelector: { type: "object" } },
      },
      default: [],
      description:
        "Egress gateways, each { namespace, podSelector }: NetworkPolicies selecting only those pods may also reach " +
        "public addresses (never private, loopback, link-local or other non-public ones). Defaults to none.",
    },
  },
};

/** The parsed setting. */
export interface ClusterCidrs {
  /** The configured blocks, canonical (host bits cleared), in the order given. */
  readonly cidrs: readonly Cidr[];
  /** Every address egress may reach. */
  readonly allowed: AddressSet;
  /** The fewest CIDRs covering `allowed`: what an unrestricted peer is narrowed to. */
  readonly allowedCidrs: readonly Cidr[];
  /** The configured blocks as a reader sees them in messages: "10.42.0.0/16, 10.43.0.0/16". */
  readonly text: string;
}

export type ConfigResult = { ok: true; value: ClusterCidrs } | { ok: false; error: string };

const EXAMPLE = "10.42.0.0/16";

/**
 * Parses a raw `clusterCidrs` value. Absent (undefined or null) means the default; anything else must be an array
 * of CIDR strings, and every bad entry is named in the error.
 */
export function parseClusterCidrs(raw: unknown): ConfigResult {
  const value = raw === undefined || raw === null ? DEFAULT_CLUSTER_CIDRS : raw;
  if (!Array.isArray(value)) {
    return {
      ok: false,
      error: `clusterCidrs: got ${JSON.stringify(value)}; expected an array of IPv4 or IPv6 CIDRs such as ["10.42.0.0/16", "10.43.0.0/16"]`,
    };
  }
  const cidrs: Cidr[] = [];
  const errors: string[] = [];
  value.forEach((entry: unknown, i: number) => {
    const cidr = typeof entry === "string" ? parseCidr(entry) : undefined;
    if (cidr) cidrs.push(cidr);
    else errors.push(`clusterCidrs[${i}]: got ${JSON.stringify(entry)}; expected an IPv4 or IPv6 CIDR such as ${EXAMPLE}`);
  });
  if (errors.length > 0) return { ok: false, error: errors.join("; ") };
  const allowed = setOf(cidrs);
  const text = cidrs.length > 0 ? cidrs.map(formatCidr).join(", ") : "(none)";
  return { ok: true, value: { cidrs, allowed, allowedCidrs: toCidrs(allowed), text } };
}

const cache = new Map<string, ConfigResult>();
const CACHE_LIMIT = 32;

/**
 * The `clusterCidrs` of a policy's config, parsed once per distinct value. `getConfig` may return an object without
 * the defaults filled in, or (outside the engine) nothing at all.
 */
export function clusterCidrsOf(args: { getConfig<T extends object>(): T }): ConfigResult {
  const config = args.getConfig<{ clusterCidrs?: unknown }>();
  const raw = config === undefined || config === null ? undefined : config.clusterCidrs;
  const key = raw === undefined || raw === null ? "" : JSON.stringify(raw);
  let result = cache.get(key);
  if (!result) {
    result = parseClusterCidrs(raw);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
  }
  return result;
}
