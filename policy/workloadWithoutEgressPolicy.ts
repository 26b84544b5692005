/**
 * workload-without-egress-policy (stack policy; severity high; mandatory unless configured otherwise).
 *
 * Forbids a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, and the custom resources
 * whose operator runs pods: CloudNativePG's Cluster and Pooler, by the labels it gives their pods) whose pods no
 * NetworkPolicy of their namespace restricts for egress. Kubernetes allows all egress from a pod until some NetworkPolicy with
 * policyType Egress selects it, so such a workload is the hole in the fence whatever the other policies say.
 *
 * A NetworkPolicy counts when its policyTypes include Egress (when policyTypes is absent, Kubernetes adds Egress only
 * if the policy has egress rules) and its podSelector (matchLabels and matchExpressions; empty selects all) matches
 * the pod template's labels. Objects without a namespace are in "default".
 *
 * The check is linear in the stack: NetworkPolicies are indexed by namespace and, within it, by their rarest
 * matchLabels pair, so a workload is tested only against the selectors that could select it.
 */
import { StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { clusterCidrsOf, configSchema } from "./config";
import { isObject, namespaceOf, NETWORK_POLICY_TYPE, OPERATED_TYPES, podTemplateOf, refOf, WORKLOAD_TYPES } from "./kubernetes";
import { LabelSelector, Labels, labelsOf, matches, parseLabelSelector, selectsEverything } from "./labelSelector";

export const NAME = "workload-without-egress-policy";

export const workloadWithoutEgressPolicy: StackValidationPolicy = {
  name: NAME,
  description: "Every workload must be selected by a NetworkPolicy that restricts its egress.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema,
  remediationSteps:
    "Add a NetworkPolicy in the workload's namespace with policyTypes [Egress] whose podSelector matches the " +
    "workload's pod labels, allowing egress only to in-cluster peers.",
  validateStack: (args, reportViolation) => {
    const config = clusterCidrsOf(args);
    if (!config.ok) {
      reportViolation(`invalid policy config: ${config.error}`);
      return;
    }
    // A value unknown during preview must neither pass nor fail a workload: the object holding it is set aside, its
    // namespace (or, for a NetworkPolicy of unknown namespace, every namespace) left undecided, and the first such
    // error rethrown at the end for the engine to report as an advisory.
    let unknown: UnknownValueError | undefined;
    /** Runs a check; false when it met an unknown value. */
    const tolerating = (check: () => void): boolean => {
      try {
        check();
        return true;
      } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
        unknown ??= e;
        return false;
      }
    };
    const index = new EgressSelectorIndex();
    for (const resource of args.resources) {
      if (resource.type !== NETWORK_POLICY_TYPE) continue;
      const props = resource.props;
      const known = { namespace: undefined as string | undefined };
      const read = tolerating(() => {
        const namespace = (known.namespace = namespaceOf(props));
        const spec = isObject(props) ? props.spec : undefined;
        if (restrictsEgress(spec)) index.add(namespace, parseLabelSelector(spec.podSelector));
      });
      if (!read) index.markUndecided(known.namespace);
    }
    for (const resource of args.resources) {
      const shape = WORKLOAD_TYPES.get(resource.type);
      const operated = OPERATED_TYPES.get(resource.type);
      if (!shape && !operated) continue;
      tolerating(() => {
        const props = resource.props;
        const namespace = namespaceOf(props);
        const labels = shape ? labelsOf(podTemplateOf(shape, props).template?.metadata) : operated!.podLabels(props);
        if (index.selects(namespace, labels) || index.isUndecided(namespace)) return;
        reportViolation(
          `${refOf((shape ?? operated)!.kind, props, resource.name)} is selected by no NetworkPolicy with policyType Egress in ` +
            `namespace "${namespace}", so its pods may reach any address; add one that allows egress only to the ` +
            `allowed ranges: ${config.value.text}`,
          resource.urn,
        );
      });
    }
    if (unknown) throw unknown;
  },
};

/** Whether a NetworkPolicy spec restricts egress, with Kubernetes' defaulting of an absent policyTypes. */
export function restrictsEgress(spec: any): boolean {
  if (!isObject(spec)) return false;
  const types = spec.policyTypes;
  if (Array.isArray(types) && types.length > 0) return types.includes("Egress");
  const egress = spec.egress;
  return Array.isArray(egress) && egress.length > 0;
}

/** The egress-restricting pod selectors of one namespace. */
interface NamespaceSelectors {
  selectsAll: boolean;
  selectors: LabelSelector[];
  /** Selectors with matchLabels, each under its rarest key/value pair: a pod must carry that pair to match. */
  byLabel: Map<string, LabelSelector[]>;
  /** Selectors with only matchExpressions. */
  unindexed: LabelSelector[];
  indexed: boolean;
}

/** NetworkPolicy pod selectors by namespace, indexed on first use of the namespace. */
export class EgressSelectorIndex {
  private readonly namespaces = new Map<string, NamespaceSelectors>();
  private readonly undecided = new Set<string>();
  private allUndecided = false;

  /** Marks a namespace (undefined: every namespace) as holding a NetworkPolicy that could not be read. */
  markUndecided(namespace: string | undefined): void {
    if (namespace === undefined) this.allUndecided = true;
    else this.undecided.add(namespace);
  }

  isUndecided(namespace: string | undefined): boolean {
    return this.allUndecided || (namespace !== undefined && this.undecided.has(namespace));
  }

  add(namespace: string, selector: LabelSelector): void {
    if (!selector.valid) return;
    let entry = this.namespaces.get(namespace);
    if (!entry) {
      entry = { selectsAll: false, selectors: [], byLabel: new Map(), unindexed: [], indexed: false };
      this.namespaces.set(namespace, entry);
    }
    if (selectsEverything(selector)) entry.selectsAll = true;
    else entry.selectors.push(selector);
    entry.indexed = false;
  }

  selects(namespace: string, labels: Labels): boolean {
    const entry = this.namespaces.get(namespace);
    if (!entry) return false;
    if (entry.selectsAll) return true;
    if (!entry.indexed) buildIndex(entry);
    for (const [key, value] of labels) {
      const candidates = entry.byLabel.get(pairKey(key, value));
      if (candidates && candidates.some((selector) => matches(selector, labels))) return true;
    }
    return entry.unindexed.some((selector) => matches(selector, labels));
  }
}

function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function buildIndex(entry: NamespaceSelectors): void {
  const counts = new Map<string, number>();
  for (const selector of entry.selectors) {
    for (const [key, value] of selector.matchLabels) {
      const pair = pairKey(key, value);
      counts.set(pair, (counts.get(pair) ?? 0) + 1);
    }
  }
  entry.byLabel.clear();
  entry.unindexed = [];
  for (const selector of entry.selectors) {
    let rarest: string | undefined;
    for (const [key, value] of selector.matchLabels) {
      const pair = pairKey(key, value);
      if (rarest === undefined || counts.get(pair)! < counts.get(rarest)!) rarest = pair;
    }
    if (rarest === undefined) {
      entry.unindexed.push(selector);
    } else {
      const list = entry.byLabel.get(rarest);
      if (list) list.push(selector);
      else entry.byLabel.set(rarest, [selector]);
    }
  }
  entry.indexed = true;
}
