/**
 * What a version change does to the stack, without a cluster or the Pulumi CLI:
 *
 *   npx ts-node --transpile-only examples/upgrade/plan.ts v4.5.2 v4.6.6
 *
 * evaluates this folder's program (index.ts) twice on Pulumi's mock runtime, once per `version`
 * in stack config, and compares the desired state of every resource the way `pulumi preview
 * --diff` does: inputs against inputs. Each changed resource is classified with the Kubernetes
 * provider's rules (which fields force a replacement) and listed with the fields that changed;
 * the stateful resources (volumes, data servers, secrets, generated keys) are listed as kept.
 */
import { MINIMUM_VERSION, parseVersion, upgradeWarnings } from "../../provider/versions";
import { RecordedResource, installMocks, runProgramModule } from "../../test/harness/mocks";

const PROGRAM = require.resolve("./index");

export type Action = "create" | "replace" | "update" | "delete";

export interface FieldChange {
  /** Path of the changed value in the resource's inputs: `spec.template.spec.containers[0].image`. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface PlannedChange {
  action: Action;
  type: string;
  name: string;
  /** Changed fields, in path order (empty for create and delete). */
  fields: FieldChange[];
  /** The changed fields that force a replacement (for "replace"). */
  replacedBecause: string[];
}

export interface UpgradePlan {
  from: string;
  to: string;
  changes: PlannedChange[];
  /** Stateful resources left as they are: their data survives the upgrade. */
  unchangedStateful: { type: string; name: string }[];
  /** How many other resources are left as they are. */
  unchangedOther: number;
  /** What Mastodon's upgrade rules say about going from `from` to `to`. */
  warnings: string[];
}

/** Fields whose change makes the Kubernetes provider replace the object rather than patch it. */
const REPLACED_ON: Record<string, string[]> = {
  "kubernetes:apps/v1:Deployment": ["spec.selector"],
  "kubernetes:apps/v1:StatefulSet": ["spec.volumeClaimTemplates", "spec.serviceName", "spec.selector", "spec.podManagementPolicy", "spec.revisionHistoryLimit"],
  "kubernetes:batch/v1:Job": ["spec.template", "spec.completions", "spec.parallelism", "spec.selector"],
  "kubernetes:core/v1:PersistentVolumeClaim": ["spec.accessModes", "spec.storageClassName", "spec.selector", "spec.volumeName"],
  "kubernetes:core/v1:ConfigMap": ["data", "binaryData"],
  "kubernetes:core/v1:Secret": ["data", "stringData", "type"],
  "kubernetes:core/v1:Service": ["spec.clusterIP"],
};
const REPLACED_ON_ANY_KUBERNETES = ["metadata.name", "metadata.namespace"];

/** Kinds that hold or guard data: a plan must leave them alone. */
const STATEFUL_TYPES = [
  "kubernetes:core/v1:PersistentVolumeClaim",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:core/v1:Secret",
  // Deleting a namespace deletes its volumes.
  "kubernetes:core/v1:Namespace",
];

export function isStateful(type: string): boolean {
  // Generated secrets and keys: replacing one changes the instance's secrets.
  return STATEFUL_TYPES.includes(type) || type.startsWith("random:") || type.startsWith("tls:");
}

/** Whether changing `path` forces a replacement of a resource of `type`. */
export function forcesReplacement(type: string, path: string): boolean {
  // Every input of the random and tls providers' resources is fixed at creation.
  if (type.startsWith("random:") || type.startsWith("tls:")) return true;
  if (!type.startsWith("kubernetes:")) return false;
  const prefixes = [...REPLACED_ON_ANY_KUBERNETES, ...(REPLACED_ON[type] ?? [])];
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Shown instead of a value sent as a secret, and of any Secret's data. */
export const SECRET = "[secret]";

interface Leaf {
  value: unknown;
  /** The path as the mock recorder spells it (`a.b[0].c`, dots kept in keys), to match its secret paths. */
  recorded: string;
}

/** The leaves of a value, keyed by display path (`metadata.labels["app.kubernetes.io/version"]`); empty objects and arrays are leaves too. */
export function leaves(value: unknown, path = "", recorded = "", out = new Map<string, Leaf>()): Map<string, Leaf> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, `${recorded}[${i}]`, out));
  } else if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      const key = IDENTIFIER.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`;
      leaves(v, key, recorded ? `${recorded}.${k}` : k, out);
    }
  } else {
    out.set(path, { value, recorded });
  }
  return out;
}

/** Whether a leaf holds a secret: sent as one, or data of a Kubernetes Secret. */
function isSecretLeaf(type: string, leaf: Leaf | undefined, secretPaths: string[]): boolean {
  if (!leaf) return false;
  const p = leaf.recorded;
  if (type === "kubernetes:core/v1:Secret" && /^(data|stringData)[.[]/.test(p)) return true;
  return secretPaths.some((s) => p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
}

/** The fields that differ between two sets of inputs of a resource of `type`; secret values are masked. */
export function fieldChanges(type: string, before: unknown, after: unknown, secretPaths: string[] = []): FieldChange[] {
  const a = leaves(before);
  const b = leaves(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const shown = (leaf: Leaf | undefined) => (leaf === undefined ? undefined : isSecretLeaf(type, leaf, secretPaths) ? SECRET : leaf.value);
  return paths
    .filter((p) => JSON.stringify(a.get(p)?.value) !== JSON.stringify(b.get(p)?.value))
    .map((path) => ({ path, before: shown(a.get(path)), after: shown(b.get(path)) }));
}

/** Compares two evaluations of a program, resource by resource (matched by URN), as `pulumi preview` does. */
export function diffResources(before: RecordedResource[], after: RecordedResource[]): Omit<UpgradePlan, "from" | "to" | "warnings"> {
  const old = new Map(before.map((r) => [r.urn, r]));
  const now = new Set(after.map((r) => r.urn));
  const changes: PlannedChange[] = [];
  const unchangedStateful: { type: string; name: string }[] = [];
  let unchangedOther = 0;
  for (const r of after) {
    const previous = old.get(r.urn);
    if (!previous) {
      changes.push({ action: "create", type: r.type, name: r.name, fields: [], replacedBecause: [] });
      continue;
    }
    // Components have no state of their own: their children carry the changes.
    const secretPaths = [...previous.secretInputPaths, ...r.secretInputPaths];
    // The engine does not diff the inputs a resource's ignoreChanges names.
    const ignored = r.ignoreChanges ?? [];
    const fields = (r.custom ? fieldChanges(r.type, previous.inputs, r.inputs, secretPaths) : [])
      .filter((f) => !ignored.some((p) => f.path === p || f.path.startsWith(`${p}.`) || f.path.startsWith(`${p}[`)));
    if (fields.length === 0) {
      if (isStateful(r.type)) unchangedStateful.push({ type: r.type, name: r.name });
      else unchangedOther++;
      continue;
    }
    const replacedBecause = fields.map((f) => f.path).filter((p) => forcesReplacement(r.type, p));
    changes.push({ action: replacedBecause.length > 0 ? "replace" : "update", type: r.type, name: r.name, fields, replacedBecause });
  }
  for (const r of before) {
    if (!now.has(r.urn)) changes.push({ action: "delete", type: r.type, name: r.name, fields: [], replacedBecause: [] });
  }
  return { changes, unchangedStateful, unchangedOther };
}

/** What Mastodon says about upgrading from `from` to `to`: the component's own rule (provider/versions.ts). */
export { upgradeWarnings };

/**
 * Runs the program afresh with `config` (keys without the project prefix) added to the stack
 * config, and returns what it registered. The mocks must be installed.
 */
export async function evaluateProgram(config: Record<string, string>): Promise<RecordedResource[]> {
  return (await runProgramModule(PROGRAM, config)).resources;
}

/** The plan of `pulumi config set version <to>` on a stack at `from`. The mocks must be installed. */
export async function upgradePlan(from: string, to: string): Promise<UpgradePlan> {
  for (const v of [from, to]) {
    if (!parseVersion(v)) throw new Error(`version: got ${JSON.stringify(v)}; expected a Mastodon release tag such as v4.6.6 (from ${MINIMUM_VERSION} on)`);
  }
  const before = await evaluateProgram({ version: from });
  const after = await evaluateProgram({ version: to });
  return { from, to, ...diffResources(before, after), warnings: upgradeWarnings(from, to) };
}

const SYMBOL: Record<Action, string> = { create: "+ ", replace: "+-", update: "~ ", delete: "- " };
const HEADING: Record<Action, string> = {
  create: "created",
  replace: "created anew, then the old object deleted",
  update: "changed in place, rolled out by Kubernetes",
  delete: "deleted",
};

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 72 ? `${text.slice(0, 69)}...` : text;
}

/** The plan as text, grouped: replace, update (create and delete when any), unchanged stateful. */
export function formatPlan(plan: UpgradePlan): string {
  const lines = [`Upgrade plan: ${plan.from} → ${plan.to} (examples/upgrade, evaluated twice on the mock runtime)`];
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  for (const action of ["replace", "update", "create", "delete"] as Action[]) {
    const group = plan.changes.filter((c) => c.action === action);
    if (group.length === 0 && (action === "create" || action === "delete")) continue;
    lines.push("", `${action} (${group.length}): ${HEADING[action]}`);
    for (const c of group) {
      const why = c.replacedBecause.length > 0 ? `   [replaced: ${c.replacedBecause.some((p) => p === "metadata.name") ? "metadata.name" : c.replacedBecause[0]} changed]` : "";
      lines.push(`  ${SYMBOL[action]} ${c.type} ${c.name}${why}`);
      for (const f of c.fields) lines.push(`        ${f.path}: ${show(f.before)} => ${show(f.after)}`);
    }
  }
  lines.push("", `unchanged stateful (${plan.unchangedStateful.length}): kept as they are, data and secrets included`);
  for (const r of plan.unchangedStateful) lines.push(`  =  ${r.type} ${r.name}`);
  lines.push("", `unchanged otherwise: ${plan.unchangedOther} resources`, "");
  return lines.join("\n");
}

async function main(args: string[]): Promise<void> {
  if (args.length !== 2) throw new Error("usage: npx ts-node --transpile-only examples/upgrade/plan.ts <from> <to>   (e.g. v4.5.2 v4.6.6)");
  await installMocks(false);
  process.stdout.write(formatPlan(await upgradePlan(args[0], args[1])));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    },
  );
}
