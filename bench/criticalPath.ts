/**
 * The deployment's critical path, from the dependency graph the component registers (one default instance): the
 * longest chain of steps `pulumi up` waits on, for a first install (every resource new) and for a version change
 * (v4.5.2 → v4.6.6: only the resources whose desired state changes, per `changedUrns`).
 *
 * Weights: 1 for a resource the Kubernetes provider awaits (StatefulSet, Deployment, Job, a Certificate annotated
 * `pulumi.com/waitFor`, the cert-manager helm release), 0 for quick ones (Namespace, PersistentVolumeClaim) and
 * instant ones (ConfigMap, Secret, Service, NetworkPolicy, Traefik objects, issuers, random and tls resources).
 * Targets: the chain is exactly Mastodon's (data tier ready → pre-migration Job → Deployments → post-migration Job;
 * without the data tier on a version change), and nothing waits on what it does not need.
 *
 * Run alone: npx ts-node --transpile-only bench/criticalPath.ts
 */
import type { RecordedResource } from "../test/harness/mocks";
import { KIND, Stack } from "../test/harness/stack";
import { Section, Target, inChild, sectionMain, table } from "./harness";

const OLD_VERSION = "v4.5.2";
const NEW_VERSION = "v4.6.6";

/** A node of the dependency graph: a resource as the recorder saw it. */
type Node = RecordedResource;

const annotations = (n: Node): Record<string, string> => n.inputs?.metadata?.annotations ?? {};
/** Labels of a workload's pods. */
const podLabels = (n: Node): Record<string, string> | undefined => n.inputs?.spec?.template?.metadata?.labels;
const createTimeout = (n: Node) => n.customTimeouts?.create || "10m";

export type Wait = "awaited" | "quick" | "instant";

/** How long the provider holds a resource, in the issue's terms. */
export function waitOf(n: Node): Wait {
  if (annotations(n)["pulumi.com/skipAwait"] === "true") return "instant";
  if (([KIND.StatefulSet, KIND.Deployment, KIND.Job, KIND.CertManager] as string[]).includes(n.type)) return "awaited";
  if (n.type.startsWith("kubernetes:helm.sh/")) return "awaited";
  if (n.type.startsWith("kubernetes:") && annotations(n)["pulumi.com/waitFor"] !== undefined) return "awaited";
  if (n.type === KIND.Namespace || n.type === KIND.PersistentVolumeClaim) return "quick";
  return "instant";
}

const WEIGHT: Record<Wait, number> = { awaited: 1, quick: 0, instant: 0 };

export const kindOf = (n: { type: string }) => n.type.split(":").pop()!;
export const label = (n: Node) => `${n.name} (${kindOf(n)})`;

export interface PathAnalysis {
  /** Weight of the longest chain. */
  weight: number;
  /** The longest chain, first step first, every resource on it. */
  chain: Node[];
  /** Awaited resources on some chain of maximal weight. */
  critical: Node[];
  /** Awaited (weighted) resources by wave: how many weighted steps end with them. */
  waves: Map<number, Node[]>;
  /** For each weighted resource, the nearest weighted resources it waits for. */
  waitsFor: Map<string, Node[]>;
  /** For each resource, the weight of the heaviest chain that ends with it. */
  finish: Map<string, number>;
  /** The heaviest chain that ends with a resource, first step first. */
  chainTo: (urn: string) => Node[];
}

/**
 * The longest weighted chain of a dependency graph. `weight` gives each resource's weight (0 for a resource that
 * does not change in an update). Ties go to the dependency registered first, so the chain is stable.
 */
export function longestPath(nodes: Node[], weight: (n: Node) => number): PathAnalysis {
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const order = new Map(nodes.map((n, i) => [n.urn, i]));
  const deps = (n: Node) => [...new Set(n.dependencies)].map((u) => byUrn.get(u)).filter((d): d is Node => d !== undefined);
  const dependents = new Map<string, Node[]>(nodes.map((n) => [n.urn, []]));
  for (const n of nodes) for (const d of deps(n)) dependents.get(d.urn)!.push(n);

  const memo = (next: (n: Node) => Node[]) => {
    const value = new Map<string, number>();
    const best = new Map<string, Node | undefined>();
    const visiting = new Set<string>();
    const visit = (n: Node): number => {
      const known = value.get(n.urn);
      if (known !== undefined) return known;
      if (visiting.has(n.urn)) throw new Error(`dependency cycle through ${label(n)}`);
      visiting.add(n.urn);
      let top = 0;
      let arg: Node | undefined;
      for (const m of [...next(n)].sort((a, b) => order.get(a.urn)! - order.get(b.urn)!)) {
        const v = visit(m);
        if (v > top) [top, arg] = [v, m];
      }
      visiting.delete(n.urn);
      value.set(n.urn, top + weight(n));
      best.set(n.urn, arg);
      return top + weight(n);
    };
    nodes.forEach(visit);
    return { value, best };
  };
  // `to`: the heaviest chain ending with a resource; `from`: the heaviest starting with it.
  const to = memo(deps);
  const from = memo((n) => dependents.get(n.urn)!);
  const total = Math.max(0, ...nodes.map((n) => to.value.get(n.urn)!));

  const chainTo = (urn: string) => {
    const chain: Node[] = [];
    for (let n: Node | undefined = byUrn.get(urn); n; n = to.best.get(n.urn)) chain.unshift(n);
    return chain;
  };
  // The chain: from the heaviest end (the last registered among equals), back through the best dependencies.
  const ends = nodes.filter((n) => to.value.get(n.urn) === total && weight(n) > 0);
  const chain = ends.length > 0 ? chainTo(ends[ends.length - 1].urn) : [];

  const weighted = nodes.filter((n) => weight(n) > 0);
  const critical = weighted.filter((n) => to.value.get(n.urn)! + from.value.get(n.urn)! - weight(n) === total);
  const waves = new Map<number, Node[]>();
  for (const n of weighted) {
    const w = to.value.get(n.urn)!;
    waves.set(w, [...(waves.get(w) ?? []), n]);
  }
  const waitsFor = new Map<string, Node[]>();
  for (const n of weighted) {
    const found = new Map<string, Node>();
    const seen = new Set<string>();
    const stack = deps(n);
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d.urn)) continue;
      seen.add(d.urn);
      if (weight(d) > 0) found.set(d.urn, d);
      else stack.push(...deps(d));
    }
    waitsFor.set(n.urn, [...found.values()].sort((a, b) => order.get(a.urn)! - order.get(b.urn)!));
  }
  return { weight: total, chain, critical, waves, waitsFor, finish: to.value, chainTo };
}

interface CriticalPathResult {
  name: string;
  /** The instance at the new version: a first install registers exactly these. */
  resources: Node[];
  changed: string[];
}

/** In a child: the default instance at the new version, and what changes from the old version to it. */
async function work(): Promise<CriticalPathResult> {
  const { installMocks, runProgram } = await import("../test/harness/mocks");
  const { changedUrns } = await import("../test/harness/stack");
  const { DEFAULT_INSTANCE, defaultInstance } = await import("./stacks");
  await installMocks(false);
  const before = (await runProgram(() => defaultInstance({ version: OLD_VERSION }))).resources;
  const after = (await runProgram(() => defaultInstance({ version: NEW_VERSION }))).resources;
  return { name: DEFAULT_INSTANCE.name, resources: after, changed: changedUrns(before, after) };
}

const chainText = (chain: Node[], weight: (n: Node) => number) =>
  chain.filter((n) => weight(n) > 0).map(label).join(" → ");

/** Every awaited resource on a longest chain, wave by wave: what runs side by side is listed together. */
function criticalText(a: PathAnalysis): string {
  const waves = [...new Set(a.critical.map((n) => a.finish.get(n.urn)!))].sort((x, y) => x - y);
  return waves.map((w) => {
    const at = a.critical.filter((n) => a.finish.get(n.urn) === w);
    const kinds = [...new Set(at.map(kindOf))];
    return kinds.map((k) => `${at.filter((n) => kindOf(n) === k).map((n) => n.name).join(", ")} (${k})`).join(", ");
  }).join(" → ");
}

function waveTable(a: PathAnalysis): string {
  return table(
    [">Wave", "Awaited steps that can start only after the previous waves", "Each waits for"],
    [...a.waves.keys()].sort((x, y) => x - y).map((w) => [
      w,
      a.waves.get(w)!.map(label).join(", "),
      a.waves.get(w)!.map((n) => `${n.name}: ${a.waitsFor.get(n.urn)!.map((d) => d.name).join(", ") || "nothing"}`).join("; "),
    ]),
  );
}

function chainTable(a: PathAnalysis, weight: (n: Node) => number, wait: (n: Node) => string): string {
  return table([">Step", "Resource", "Kind", "Wait", ">Weight"], a.chain.map((n, i) => [i + 1, n.name, kindOf(n), wait(n), weight(n)]));
}

/** The chain's weighted steps, in the issue's words: "StatefulSet", "pre-migration Job", "Deployment", ... */
function stepKinds(chain: Node[], weight: (n: Node) => number, name: string): string[] {
  return chain.filter((n) => weight(n) > 0).map((n) => {
    if (n.type === KIND.Job && n.name === `${name}-db-migrate-pre`) return "pre-migration Job";
    if (n.type === KIND.Job && n.name === `${name}-db-migrate-post`) return "post-migration Job";
    if (n.type === KIND.StatefulSet && [`${name}-postgresql`, `${name}-redis`].includes(n.name)) return "data StatefulSet";
    return kindOf(n);
  });
}

export async function run(): Promise<Section> {
  const { name, resources: install, changed } = await inChild<CriticalPathResult>(__filename, {});
  const stack = new Stack(install);
  const dependsOn = (from: Node, to: Node) => stack.dependsOn(from, to);
  const w = (n: Node) => WEIGHT[waitOf(n)];
  const changedSet = new Set(changed);
  const wUpdate = (n: Node) => (changedSet.has(n.urn) ? w(n) : 0);
  const first = longestPath(install, w);
  const update = longestPath(install, wUpdate);

  const postgresql = stack.get(KIND.StatefulSet, `${name}-postgresql`);
  const redis = stack.get(KIND.StatefulSet, `${name}-redis`);
  const tlsAndNetwork = install.filter((n) => ([KIND.Certificate, KIND.CertManager, KIND.NetworkPolicy] as string[]).includes(n.type));
  const postgresqlWaitsFor = tlsAndNetwork.filter((n) => dependsOn(postgresql, n));
  const processes = install.filter((n) => n.type === KIND.Job || n.type === KIND.Deployment);
  const tls = install.filter((n) => n.type === KIND.Certificate || n.type === KIND.CertManager);
  const processesOnTls = processes.flatMap((p) => tls.filter((t) => dependsOn(p, t)).map((t) => `${p.name} → ${t.name}`));

  const allowedFirst = new Set(["data StatefulSet", "pre-migration Job", "Deployment", "post-migration Job"]);
  const firstKinds = stepKinds(first.chain, w, name);
  const firstCritical = stepKinds(first.critical, w, name);
  const updateKinds = stepKinds(update.chain, wUpdate, name);
  const updateCritical = stepKinds(update.critical, wUpdate, name);
  const changedNodes = install.filter((n) => changedSet.has(n.urn));
  const changedDataTier = changedNodes.filter((n) => n.type === KIND.StatefulSet || n.type === KIND.PersistentVolumeClaim);

  // Services with a selector: the provider awaits them until a selected pod is ready (see the note below).
  const serviceSpans = new Map<string, Node[]>();
  const serviceRows = stack.ofType(KIND.Service).filter((s) => s.inputs.spec?.selector).map((s) => {
    const selector: Record<string, string> = s.inputs.spec.selector;
    const selected = install.filter((x) => podLabels(x) && Object.entries(selector).every(([k, v]) => podLabels(x)![k] === v));
    const latest = [...selected].sort((a, b) => first.finish.get(b.urn)! - first.finish.get(a.urn)!)[0];
    // The wait starts once what the Service depends on is ready: steps it already waited for are not spanned.
    const covers = latest ? first.chainTo(latest.urn).filter((n) => w(n) > 0 && n.urn !== s.urn && !dependsOn(s, n)) : [];
    serviceSpans.set(s.name, covers);
    return [
      s.name,
      selected.map((x) => x.name).join(", ") || "none",
      install.filter((x) => s.dependencies.includes(x.urn)).map(label).join(", ") || "nothing",
      covers.map((n) => `${n.name} (${createTimeout(n)})`).join(" → ") || "nothing: its pods are ready when it is created",
      createTimeout(s),
    ];
  });

  const markdown = [
    `### First install (every resource new), ${NEW_VERSION}`,
    "",
    `Critical path (weight ${first.weight}): **${criticalText(first)}**`,
    "",
    "One longest chain, step by step:",
    "",
    chainTable(first, w, waitOf),
    "",
    waveTable(first),
    "",
    `### Version change ${OLD_VERSION} → ${NEW_VERSION}`,
    "",
    `${changed.length} of ${install.length} resources change: ${changedNodes.map(label).join(", ")}.`,
    "",
    `Critical path (weight ${update.weight}): **${criticalText(update) || "nothing awaited"}**`,
    "",
    "One longest chain, step by step:",
    "",
    chainTable(update, wUpdate, (n) => (changedSet.has(n.urn) ? waitOf(n) : "unchanged")),
    "",
    waveTable(update),
    "",
    "### What waits on what it does not need",
    "",
    table(["Check", "Found"], [
      ["PostgreSQL StatefulSet depends on Redis's, or Redis's on PostgreSQL's", dependsOn(postgresql, redis) || dependsOn(redis, postgresql) ? "yes" : "no"],
      ["Certificates, cert-manager or NetworkPolicies among the PostgreSQL StatefulSet's ancestors", postgresqlWaitsFor.map((n) => n.name).join(", ") || "none"],
      ["Jobs or Deployments waiting for a Certificate or cert-manager", processesOnTls.join(", ") || "none"],
    ]),
    "",
    "Not in the weights above: @pulumi/kubernetes also awaits a Service with a selector until a pod it selects is ready " +
      "(its doc: \"There are no 'not ready' endpoints\"). A Service starts waiting as soon as what it depends on is ready, " +
      "so on a first install its one wait, under its own create timeout, spans every awaited step between what it " +
      "depends on and its pods being ready (each step's create timeout in brackets; 10m is the provider's default). " +
      "The web and streaming Services depend on their Deployments, so they wait for nothing that is not already ready:",
    "",
    table(["Service", "Selects pods of", "Depends on", "Its wait spans", "Its create timeout"], serviceRows),
  ].join("\n");

  const sameSet = (xs: string[], allowed: Set<string>) => xs.every((x) => allowed.has(x));
  const targets: Target[] = [
    {
      section: "Critical path",
      target: "first install: data tier ready → pre-migration Job → Deployments → post-migration Job, and no other chain as long",
      measured: `${chainText(first.chain, w)} (weight ${first.weight}; on a longest chain: ${[...new Set(firstCritical)].join(", ")})`,
      pass: first.weight === 4 && firstKinds.join(",") === [...allowedFirst].join(",") && sameSet(firstCritical, allowedFirst),
    },
    {
      section: "Critical path",
      target: "version change: pre-migration Job → Deployments → post-migration Job; data tier untouched",
      measured: `${chainText(update.chain, wUpdate)} (weight ${update.weight}); data tier changed: ${changedDataTier.map((n) => n.name).join(", ") || "none"}`,
      pass: update.weight === 3
        && updateKinds.join(",") === "pre-migration Job,Deployment,post-migration Job"
        && sameSet(updateCritical, new Set(["pre-migration Job", "Deployment", "post-migration Job"]))
        && changedDataTier.length === 0,
    },
    {
      section: "Critical path",
      target: "PostgreSQL and Redis StatefulSets do not depend on each other",
      measured: dependsOn(postgresql, redis) || dependsOn(redis, postgresql) ? "they do" : "independent",
      pass: !dependsOn(postgresql, redis) && !dependsOn(redis, postgresql),
    },
    {
      section: "Critical path",
      target: "certificates, cert-manager and NetworkPolicies are not ancestors of the PostgreSQL StatefulSet",
      measured: postgresqlWaitsFor.map((n) => label(n)).join(", ") || "none is",
      pass: postgresqlWaitsFor.length === 0,
    },
    {
      section: "Critical path",
      target: "no Job or Deployment waits for a Certificate or cert-manager",
      measured: processesOnTls.join(", ") || "none does",
      pass: processesOnTls.length === 0,
    },
    {
      section: "Critical path",
      target: "no Service's readiness wait spans more than the workload it selects (no migration under a Service's timeout)",
      measured: [...serviceSpans].filter(([, c]) => c.length > 1).map(([n, c]) => `${n}: ${c.map((x) => x.name).join(" → ")}`).join("; ")
        || `every Service spans at most its own workload (${[...serviceSpans].map(([n, c]) => `${n}: ${c.map((x) => x.name).join(", ") || "nothing"}`).join("; ")})`,
      pass: [...serviceSpans.values()].every((c) => c.length <= 1),
    },
  ];
  return { title: "4. Critical path of a deployment", markdown, targets };
}

if (require.main === module) sectionMain(run, work);
