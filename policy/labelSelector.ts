/**
 * Kubernetes label selectors (matchLabels AND matchExpressions with In, NotIn, Exists, DoesNotExist), as a
 * NetworkPolicy's podSelector applies them to pod labels. A selector we cannot read (an unknown operator, an `In`
 * without values, a non-string label) selects nothing: a workload is then reported as unselected rather than
 * wrongly counted as covered.
 */
import { isObject } from "./kubernetes";

export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: ReadonlySet<string>;
}

export interface LabelSelector {
  readonly matchLabels: ReadonlyArray<readonly [string, string]>;
  readonly matchExpressions: readonly Requirement[];
  /** False when some part could not be read; such a selector selects nothing. */
  readonly valid: boolean;
}

export type Labels = ReadonlyMap<string, string>;

/** Reads a selector object; an absent selector is the empty selector, which selects every pod. */
export function parseLabelSelector(raw: any): LabelSelector {
  if (raw === undefined || raw === null) return { matchLabels: [], matchExpressions: [], valid: true };
  if (!isObject(raw)) return { matchLabels: [], matchExpressions: [], valid: false };
  let valid = true;
  const matchLabels: Array<readonly [string, string]> = [];
  const labels = raw.matchLabels;
  if (isObject(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value === "string") matchLabels.push([key, value]);
      else valid = false;
    }
  } else if (labels !== undefined && labels !== null) {
    valid = false;
  }
  const matchExpressions: Requirement[] = [];
  const expressions = raw.matchExpressions;
  if (Array.isArray(expressions)) {
    for (const expression of expressions) {
      const requirement = parseRequirement(expression);
      if (requirement) matchExpressions.push(requirement);
      else valid = false;
    }
  } else if (expressions !== undefined && expressions !== null) {
    valid = false;
  }
  return { matchLabels, matchExpressions, valid };
}

function parseRequirement(raw: any): Requirement | undefined {
  if (!isObject(raw) || typeof raw.key !== "string") return undefined;
  const operator = raw.operator;
  const values = Array.isArray(raw.values) ? [...raw.values] : raw.values === undefined || raw.values === null ? [] : undefined;
  if (values === undefined || !values.every((v): v is string => typeof v === "string")) return undefined;
  switch (operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) return undefined;
      return { key: raw.key, operator, values: new Set(values) };
    case "Exists":
    case "DoesNotExist":
      if (values.length !== 0) return undefined;
      return { key: raw.key, operator, values: new Set() };
    default:
      return undefined;
  }
}

/** True when the selector has no requirements at all (and so selects every pod). */
export function selectsEverything(selector: LabelSelector): boolean {
  return selector.valid && selector.matchLabels.length === 0 && selector.matchExpressions.length === 0;
}

export function matches(selector: LabelSelector, labels: Labels): boolean {
  if (!selector.valid) return false;
  for (const [key, value] of selector.matchLabels) {
    if (labels.get(key) !== value) return false;
  }
  for (const { key, operator, values } of selector.matchExpressions) {
    const value = labels.get(key);
    switch (operator) {
      case "In":
        if (value === undefined || !values.has(value)) return false;
        break;
      case "NotIn":
        // As in Kubernetes, a pod without the key satisfies NotIn.
        if (value !== undefined && values.has(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

/** Reads an object's labels (e.g. a pod template's metadata.labels); non-string values are left out. */
export function labelsOf(metadata: any): Map<string, string> {
  const labels = new Map<string, string>();
  const raw = isObject(metadata) ? metadata.labels : undefined;
  if (isObject(raw)) {
    for (const [key, value] of Object.entries(raw)) if (typeof value === "string") labels.set(key, value);
  }
  return labels;
}
