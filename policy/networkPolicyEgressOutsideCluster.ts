/**
 * networkpolicy-egress-outside-cluster (severity high; mandatory unless configured otherwise; remediable).
 *
 * Forbids a NetworkPolicy egress rule that lets pods reach an address outside the cluster CIDRs:
 * - an ipBlock whose addresses (its `cidr` minus its `except` entries, computed exactly, IPv4 and IPv6 apart) are not
 *   all inside `clusterCidrs`; a union of allowed ranges may cover a block that no single range covers;
 * - a rule with no `to`, or an empty `to`, which Kubernetes reads as "every destination".
 * Peers given only by podSelector/namespaceSelector are pods of the cluster and always allowed; `egress: []` denies
 * everything and is fine.
 *
 * The one exemption: a NetworkPolicy that selects only the pods of an entry of `egressGateways` (egressGateways.ts)
 * may also reach public addresses; everything else it reaches outside the cluster CIDRs (private, loopback,
 * link-local and metadata, other non-public ranges) is still a finding, and a rule without `to` still is one. Rules are checked whether or not `policyTypes` lists Egress: a dormant rule comes alive the
 * day someone adds it.
 *
 * Why: the stack must not open connections beyond the cluster; a single wide ipBlock undoes every other policy.
 *
 * Remediation narrows each offending ipBlock to its intersection with the cluster CIDRs (the fewest CIDR blocks, one
 * peer each; a block keeps an `except` list when that is shorter) and gives a rule without `to` the cluster CIDRs.
 * A peer or rule left with no address at all is removed rather than emptied, since an empty `to` allows everything.
 */
import * as k8s from "@pulumi/kubernetes";
import { remediateResourceOfType, ResourceValidationPolicy, UnknownValueError, validateResourceOfType } from "@pulumi/policy";
import {
  AddressSet,
  blockSet,
  Cidr,
  difference,
  formatCidr,
  intersection,
  isEmpty,
  isSubset,
  parseCidr,
  setOf,
  toCidrs,
} from "./cidr";
import { ClusterCidrs, clusterCidrsOf, egressConfigSchema } from "./config";
import { EgressGateway, egressGatewaysOf, gatewayAllowance, gatewayOf } from "./egressGateways";
import { isObject, namespaceOf, refOf } from "./kubernetes";

export const NAME = "networkpolicy-egress-outside-cluster";

/** How many outside blocks a message lists before summing up the rest. */
const LISTED_BLOCKS = 3;

export const networkPolicyEgressOutsideCluster: ResourceValidationPolicy = {
  name: NAME,
  description: "NetworkPolicy egress must stay inside the cluster CIDRs.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema: egressConfigSchema,
  remediationSteps:
    "Narrow every egress ipBlock to the cluster CIDRs (or add `except` entries for the rest), give every egress " +
    "rule an explicit `to`, and reach outside services through an egress gateway listed in `egressGateways`, " +
    "whose own egress excludes every non-public range.",
  validateResource: validateResourceOfType(k8s.networking.v1.NetworkPolicy, (policy, args, reportViolation) => {
    const ref = refOf("NetworkPolicy", policy, args.name);
    const config = clusterCidrsOf(args);
    const gateways = egressGatewaysOf(args);
    if (!config.ok || !gateways.ok) {
      for (const result of [config, gateways]) if (!result.ok) reportViolation(`${ref}: invalid policy config: ${result.error}`);
      return;
    }
    const gateway = gatewayOfPolicy(gateways.value, policy);
    const allowed = gateway ? gatewayAllowance(config.value) : config.value;
    const { findings, unknown } = egressFindings(isObject(policy) ? policy.spec : undefined, allowed, gateway);
    for (const finding of findings) reportViolation(`${ref}: ${finding}; allowed ranges: ${allowed.text}`);
    // Rethrown after the known findings are reported: the engine turns it into a preview advisory.
    if (unknown) throw unknown;
  }),
  remediateResource: remediateResourceOfType(k8s.networking.v1.NetworkPolicy, (policy, args) => {
    const config = clusterCidrsOf(args);
    const gateways = egressGatewaysOf(args);
    if (!config.ok || !gateways.ok || !isObject(policy) || !isObject(policy.spec)) return undefined;
    const gateway = gatewayOfPolicy(gateways.value, policy);
    const spec = narrowEgress(policy.spec, gateway ? gatewayAllowance(config.value) : config.value);
    return spec === undefined ? undefined : { ...policy, spec };
  }),
};

/**
 * The egress gateway the NetworkPolicy belongs to, if any. Its namespace and pod selector are read only when some
 * gateway is configured, so that without one a value unknown during preview is as harmless as before.
 */
function gatewayOfPolicy(gateways: readonly EgressGateway[], policy: any): EgressGateway | undefined {
  if (gateways.length === 0 || !isObject(policy)) return undefined;
  const namespace = namespaceOf(policy);
  if (!gateways.some((g) => g.namespace === namespace)) return undefined;
  return gatewayOf(gateways, namespace, isObject(policy.spec) ? policy.spec.podSelector : undefined);
}

/** An ipBlock as read from a peer: its addresses, or the reason they cannot be read. */
type ParsedBlock = { ok: true; cidr: Cidr; set: AddressSet; text: string } | { ok: false; error: string };

function parseIpBlock(ipBlock: any, path: string): ParsedBlock {
  if (!isObject(ipBlock)) return { ok: false, error: `${path}: got ${JSON.stringify(ipBlock)}; expected an object with a cidr` };
  const cidr = typeof ipBlock.cidr === "string" ? parseCidr(ipBlock.cidr) : undefined;
  if (!cidr) {
    return { ok: false, error: `${path}.cidr: got ${JSON.stringify(ipBlock.cidr)}; expected an IPv4 or IPv6 CIDR such as 10.42.0.0/16` };
  }
  const rawExcept = ipBlock.except;
  const except: Cidr[] = [];
  const exceptTexts: string[] = [];
  if (rawExcept !== undefined && rawExcept !== null) {
    if (!Array.isArray(rawExcept)) {
      return { ok: false, error: `${path}.except: got ${JSON.stringify(rawExcept)}; expected a list of CIDRs` };
    }
    for (let i = 0; i < rawExcept.length; i++) {
      const entry = rawExcept[i];
      const parsed = typeof entry === "string" ? parseCidr(entry) : undefined;
      if (!parsed) {
        return { ok: false, error: `${path}.except[${i}]: got ${JSON.stringify(entry)}; expected an IPv4 or IPv6 CIDR such as 10.42.5.0/24` };
      }
      except.push(parsed);
      exceptTexts.push(entry);
    }
  }
  const text = exceptTexts.length > 0 ? `${ipBlock.cidr} except [${exceptTexts.join(", ")}]` : ipBlock.cidr;
  return { ok: true, cidr, set: blockSet(cidr, except), text };
}

/** "0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8 and 5 more blocks" */
function describeBlocks(set: AddressSet): string {
  const cidrs = toCidrs(set).map(formatCidr);
  const shown = cidrs.slice(0, LISTED_BLOCKS).join(", ");
  const rest = cidrs.length - LISTED_BLOCKS;
  return rest > 0 ? `${shown} and ${rest} more block${rest === 1 ? "" : "s"}` : shown;
}

/** What egressFindings saw: one sentence per finding, and the first value it could not read during preview. */
export interface EgressFindings {
  findings: string[];
  unknown?: UnknownValueError;
}

/**
 * Every way a NetworkPolicy spec lets egress leave the cluster, one sentence per finding (without the resource and
 * allowed ranges, which the caller adds). Reads through the unknown-checking proxy: a peer or rule holding a value
 * unknown during preview is skipped and the first such error returned, so that it never passes silently and never
 * hides the findings of the other peers. With `gateway`, the policy is that egress gateway's and `cluster` already
 * holds the public addresses: what remains outside is non-public, and the findings say so.
 */
export function egressFindings(spec: any, cluster: ClusterCidrs, gateway?: EgressGateway): EgressFindings {
  const result: EgressFindings = { findings: [] };
  const findings = result.findings;
  const tolerating = (check: () => void): void => {
    try {
      check();
    } catch (e) {
      if (!(e instanceof UnknownValueError)) throw e;
      result.unknown ??= e;
    }
  };
  tolerating(() => {
    const egress = isObject(spec) ? spec.egress : undefined;
    if (egress === undefined || egress === null) return;
    if (!Array.isArray(egress)) {
      findings.push(`spec.egress: got ${JSON.stringify(egress)}; expected a list of egress rules`);
      return;
    }
    for (let i = 0; i < egress.length; i++) tolerating(() => checkRule(egress[i], `spec.egress[${i}]`));
  });
  return result;

  function checkRule(rule: any, path: string): void {
    const to = isObject(rule) ? rule.to : undefined;
    if (to === undefined || to === null) {
      findings.push(`${path} has no "to", so it allows egress to every destination`);
      return;
    }
    if (!Array.isArray(to)) {
      findings.push(`${path}.to: got ${JSON.stringify(to)}; expected a list of peers`);
      return;
    }
    if (to.length === 0) {
      findings.push(`${path}.to is empty, so it allows egress to every destination`);
      return;
    }
    for (let j = 0; j < to.length; j++) tolerating(() => checkPeer(to[j], `${path}.to[${j}]`));
  }

  function checkPeer(peer: any, path: string): void {
    const ipBlock = isObject(peer) ? peer.ipBlock : undefined;
    if (ipBlock === undefined || ipBlock === null) {
      if (!isObject(peer) || (peer.podSelector == null && peer.namespaceSelector == null)) {
        findings.push(`${path} names no ipBlock, podSelector or namespaceSelector, so its destination is not known to be in the cluster`);
      }
      return;
    }
    const block = parseIpBlock(ipBlock, `${path}.ipBlock`);
    if (!block.ok) {
      findings.push(block.error);
      return;
    }
    const outside = difference(block.set, cluster.allowed);
    if (!isEmpty(outside)) {
      findings.push(
        gateway
          ? `${path}.ipBlock ${block.text} reaches non-public addresses outside the cluster CIDRs (${describeBlocks(outside)}), ` +
              `which egress gateway ${gateway.text} may not reach`
          : `${path}.ipBlock ${block.text} reaches addresses outside the cluster CIDRs (${describeBlocks(outside)})`,
      );
    }
  }
}

/**
 * The spec with every egress rule narrowed to the cluster CIDRs, or undefined when nothing needs narrowing.
 * Unchanged rules and peers are kept as they are (malformed ipBlocks too: they stay for the validation to report).
 */
export function narrowEgress(spec: any, cluster: ClusterCidrs): Record<string, any> | undefined {
  const egress = spec.egress;
  if (!Array.isArray(egress)) return undefined;
  let changed = false;
  const rules: any[] = [];
  for (const rule of egress) {
    if (!isObject(rule)) {
      rules.push(rule);
      continue;
    }
    const to = rule.to;
    if (to === undefined || to === null || (Array.isArray(to) && to.length === 0)) {
      changed = true;
      const peers = cluster.allowedCidrs.map((cidr) => ({ ipBlock: { cidr: formatCidr(cidr) } }));
      if (peers.length > 0) rules.push({ ...rule, to: peers });
      continue;
    }
    if (!Array.isArray(to)) {
      rules.push(rule);
      continue;
    }
    const peers: any[] = [];
    let ruleChanged = false;
    for (const peer of to) {
      const narrowed = narrowPeer(peer, cluster);
      if (narrowed === undefined) {
        peers.push(peer);
      } else {
        ruleChanged = true;
        peers.push(...narrowed);
      }
    }
    if (!ruleChanged) {
      rules.push(rule);
      continue;
    }
    changed = true;
    // A rule whose every peer was outside the cluster goes away: an empty `to` would allow every destination.
    if (peers.length > 0) rules.push({ ...rule, to: peers });
  }
  if (!changed) return undefined;
  const narrowed: Record<string, any> = { ...spec, egress: rules };
  // Without policyTypes, Kubernetes derives Egress from the presence of egress rules; removing the last rule would
  // silently turn a deny-all into allow-all, so the types the policy had are written out.
  const types = spec.policyTypes;
  if (types === undefined || types === null || (Array.isArray(types) && types.length === 0)) {
    narrowed.policyTypes = ["Ingress", "Egress"];
  }
  return narrowed;
}

/** The peers replacing one peer, or undefined when it stays as it is. */
function narrowPeer(peer: any, cluster: ClusterCidrs): any[] | undefined {
  const ipBlock = isObject(peer) ? peer.ipBlock : undefined;
  if (ipBlock === undefined || ipBlock === null) return undefined;
  const block = parseIpBlock(ipBlock, "");
  if (!block.ok || isSubset(block.set, cluster.allowed)) return undefined;
  const peers: any[] = [];
  for (const piece of toCidrs(intersection(setOf([block.cidr]), cluster.allowed))) {
    const pieceSet = setOf([piece]);
    const kept = intersection(pieceSet, block.set);
    // The kept addresses as plain blocks (none if nothing is kept), or the piece with the rest excepted if shorter.
    const exact = toCidrs(kept);
    const excepted = toCidrs(difference(pieceSet, kept));
    if (excepted.length === 0 || exact.length <= 1 + excepted.length) {
      for (const cidr of exact) peers.push({ ipBlock: { cidr: formatCidr(cidr) } });
    } else {
      peers.push({ ipBlock: { cidr: formatCidr(piece), except: excepted.map(formatCidr) } });
    }
  }
  return peers;
}
