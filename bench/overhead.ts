/**
 * The component's overhead, for two programs (one default MastodonCluster; a lab of one MastodonPlatform and three
 * MastodonClusters, as in section 1), each against a baseline program that registers the very same resources directly (`new k8s.apps.v1.Deployment(name, inputs)`, `new random.RandomPassword(...)`, ...): the
 * Kubernetes objects, the random and tls resources and cert-manager, with the inputs the component sent (as plain
 * values) and the same dependencies (as `dependsOn`), on the same mock runtime, in one process. The two programs
 * alternate, each run after a garbage collection; the baseline's registrations are checked to be identical to the
 * component's (type, name, inputs, secret inputs, dependencies). Target, for each program: the median of the pairs'
 * own wall-time ratios (each pair ran back to back, under the same load) ≤ 1.3, judged with the harness's
 * TIME_TOLERANCE; the ratio of the medians and the CPU-time ratios are reported beside it.
 *
 * Run alone: npx ts-node --transpile-only bench/overhead.ts
 */
import { performance } from "node:perf_hooks";
import type * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "../test/harness/mocks";
import { Section, Target, collectGarbage, cpuMs, inChild, judgeTime, median, num, sectionMain, table } from "./harness";

const MAX_RATIO = 1.3;

/** The programs compared, and how many alternating pairs (component, baseline) each gets. */
const PROGRAMS = {
  default: { title: "one default MastodonCluster", pairs: 15 },
  lab: { title: "a lab: one MastodonPlatform, 3 MastodonClusters", pairs: 11 },
} as const;
type Program = keyof typeof PROGRAMS;
const LAB_INSTANCES = 3;

interface Sample {
  program: "component" | "baseline";
  wallMs: number;
  cpuMs: number;
  resources: number;
}

interface OverheadResult {
  program: Program;
  samples: Sample[];
  componentResources: number;
  baselineResources: number;
  /** Resources of the baseline whose type, name, inputs, secret inputs and dependencies equal the component's. */
  identical: number;
  mismatches: string[];
  byType: Record<string, number>;
}

/** A resource's identity across the two programs (their URNs differ by the component's parent type). */
const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** The value at `path` ("stringData", "spec.x[0]") marked secret again, as the component sent it. */
function markSecret(inputs: any, path: string, secret: (v: unknown) => unknown): void {
  const parts = path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "");
  let at = inputs;
  for (const p of parts.slice(0, -1)) at = at?.[p];
  const last = parts[parts.length - 1];
  if (at && last in at) at[last] = secret(at[last]);
}

/** In a child: records the component program, then times it and its baseline, alternating. */
async function work({ program }: { program: Program }): Promise<OverheadResult> {
  const { installMocks, runProgram } = await import("../test/harness/mocks");
  const { defaultInstance, labStack } = await import("./stacks");
  const pulumiSdk = await import("@pulumi/pulumi");
  const k8s = await import("@pulumi/kubernetes");
  const random = await import("@pulumi/random");
  const tls = await import("@pulumi/tls");
  const certmanager = await import("@pulumi/kubernetes-cert-manager");
  await installMocks(false);

  /** A resource of a type the baseline has no class for (CustomResource is abstract). */
  class GenericResource extends pulumiSdk.CustomResource {}
  type Ctor = new (name: string, args: any, opts: pulumi.CustomResourceOptions) => pulumi.Resource;
  const classes: Record<string, Ctor> = {
    "kubernetes:core/v1:Namespace": k8s.core.v1.Namespace,
    "kubernetes:core/v1:ConfigMap": k8s.core.v1.ConfigMap,
    "kubernetes:core/v1:Secret": k8s.core.v1.Secret,
    "kubernetes:core/v1:Service": k8s.core.v1.Service,
    "kubernetes:core/v1:PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "kubernetes:apps/v1:Deployment": k8s.apps.v1.Deployment,
    "kubernetes:apps/v1:StatefulSet": k8s.apps.v1.StatefulSet,
    "kubernetes:batch/v1:Job": k8s.batch.v1.Job,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "kubernetes:policy/v1:PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "random:index/randomBytes:RandomBytes": random.RandomBytes,
    "random:index/randomPassword:RandomPassword": random.RandomPassword,
    "tls:index/privateKey:PrivateKey": tls.PrivateKey,
    "tls:index/selfSignedCert:SelfSignedCert": tls.SelfSignedCert,
    "kubernetes-cert-manager:index:CertManager": certmanager.CertManager as unknown as Ctor,
  };
  const construct = (r: RecordedResource, inputs: any, opts: pulumi.CustomResourceOptions): pulumi.Resource => {
    const cls = classes[r.type];
    if (cls) return new cls(r.name, inputs, opts);
    // Custom resources without a class of their own (cert-manager, Traefik): what the component uses too.
    if (r.type.startsWith("kubernetes:")) return new k8s.apiextensions.CustomResource(r.name, inputs, opts);
    return new GenericResource(r.type, r.name, inputs, opts);
  };

  const component = program === "default" ? () => void defaultInstance() : () => labStack(LAB_INSTANCES, "o");
  const recorded = (await runProgram(component)).resources;
  const recordedUrns = new Map(recorded.map((r) => [r.urn, r]));
  const registered = recorded.filter((r) => r.custom || r.remote);

  // The baseline's order, computed once: every resource after the resources it depends on.
  const order: RecordedResource[] = [];
  const placed = new Set<string>();
  const registeredUrns = new Set(registered.map((r) => r.urn));
  while (order.length < registered.length) {
    const next = registered.find((r) => !placed.has(r.urn) && r.dependencies.every((u) => placed.has(u) || !registeredUrns.has(u)));
    if (!next) throw new Error("the recorded dependencies have a cycle");
    order.push(next);
    placed.add(next.urn);
  }

  /** The baseline: every registered resource, directly, with its recorded inputs and dependencies. */
  const baseline = () => {
    const made = new Map<string, pulumi.Resource>();
    for (const r of order) {
      const inputs = structuredClone(r.inputs);
      for (const p of r.secretInputPaths) markSecret(inputs, p, (v) => pulumiSdk.secret(v));
      const dependsOn = [...new Set(r.dependencies)].map((u) => made.get(u)).filter((d): d is pulumi.Resource => d !== undefined);
      made.set(r.urn, construct(r, inputs, { dependsOn }));
    }
  };

  // Like for like: the baseline must register what the component registers, nothing more or less.
  const base = (await runProgram(baseline)).resources;
  const dependencyKeys = (r: RecordedResource, byUrn: Map<string, RecordedResource>) =>
    [...new Set(r.dependencies.map((u) => byUrn.get(u)).filter((d) => d && (d.custom || d.remote)).map((d) => key(d!)))].sort();
  const baseUrns = new Map(base.map((r) => [r.urn, r]));
  const baseByKey = new Map(base.map((r) => [key(r), r]));
  const mismatches: string[] = [];
  let identical = 0;
  for (const r of registered) {
    const b = baseByKey.get(key(r));
    const same = b !== undefined
      && JSON.stringify(b.inputs) === JSON.stringify(r.inputs)
      && JSON.stringify([...b.secretInputPaths].sort()) === JSON.stringify([...r.secretInputPaths].sort())
      && JSON.stringify(dependencyKeys(b, baseUrns)) === JSON.stringify(dependencyKeys(r, recordedUrns));
    if (same) identical++;
    else mismatches.push(key(r));
  }
  const byType: Record<string, number> = {};
  for (const r of recorded) byType[r.type] = (byType[r.type] ?? 0) + 1;

  const samples: Sample[] = [];
  const measure = async (program: Sample["program"], body: () => void) => {
    collectGarbage();
    const cpu = process.cpuUsage();
    const t = performance.now();
    const { resources } = await runProgram(body);
    samples.push({ program, wallMs: performance.now() - t, cpuMs: cpuMs(cpu), resources: resources.length });
  };
  // Warm both programs once more (the recording runs above were their first), then alternate.
  await runProgram(component);
  await runProgram(baseline);
  for (let i = 0; i < PROGRAMS[program].pairs; i++) {
    if (i % 2 === 0) {
      await measure("component", component);
      await measure("baseline", baseline);
    } else {
      await measure("baseline", baseline);
      await measure("component", component);
    }
  }
  return { program, samples, componentResources: recorded.length, baselineResources: base.length, identical, mismatches, byType };
}

interface Comparison {
  result: OverheadResult;
  cpuRatio: number;
  wallRatio: number;
  /** Median of each pair's own ratio: a pair ran back to back, under the same load on the machine. */
  pairCpuRatio: number;
  pairWallRatio: number;
}

function compare(result: OverheadResult): Comparison {
  const of = (p: Sample["program"]) => result.samples.filter((s) => s.program === p);
  const stat = (p: Sample["program"], f: "wallMs" | "cpuMs") => median(of(p).map((s) => s[f]));
  const pair = (f: "wallMs" | "cpuMs") => median(of("component").map((c, i) => c[f] / of("baseline")[i][f]));
  return {
    result,
    cpuRatio: stat("component", "cpuMs") / stat("baseline", "cpuMs"),
    wallRatio: stat("component", "wallMs") / stat("baseline", "wallMs"),
    pairCpuRatio: pair("cpuMs"),
    pairWallRatio: pair("wallMs"),
  };
}

export async function run(): Promise<Section> {
  const comparisons: Comparison[] = [];
  for (const program of Object.keys(PROGRAMS) as Program[]) comparisons.push(compare(await inChild<OverheadResult>(__filename, { program })));

  const rows = comparisons.flatMap(({ result }) => (["component", "baseline"] as const).map((p) => {
    const samples = result.samples.filter((s) => s.program === p);
    return [
      p === "component" ? `${PROGRAMS[result.program].title}` : "baseline: the same resources, registered directly",
      samples[0].resources,
      samples.length,
      num(median(samples.map((s) => s.wallMs))),
      num(median(samples.map((s) => s.cpuMs))),
      samples.map((s) => num(s.wallMs)).join(", "),
    ];
  }));
  const summary = table(
    ["Program", ">Overhead (wall, ratio of medians)", ">Overhead (CPU)", ">Median of pair ratios (wall, judged)", ">Median of pair ratios (CPU)", "Baseline identical to the component"],
    comparisons.map((c) => [
      PROGRAMS[c.result.program].title,
      `${c.wallRatio.toFixed(2)}×`,
      `${c.cpuRatio.toFixed(2)}×`,
      `**${c.pairWallRatio.toFixed(2)}×**`,
      `${c.pairCpuRatio.toFixed(2)}×`,
      `${c.result.identical}/${c.result.baselineResources}` + (c.result.mismatches.length > 0 ? ` (different: ${c.result.mismatches.join(", ")})` : ""),
    ]),
  );
  const markdown = [
    table(["Program", ">Resources registered", ">Runs", ">Median wall time (ms)", ">Median CPU time (ms)", "Wall times (ms), in order"], rows),
    "",
    summary,
    "",
    "Pairs alternate (component first, then baseline first) in one process per program, each run after a garbage " +
      "collection. CPU time counts every thread of the process, the garbage collector's helpers included. The component programs register their component resources besides what the baselines register; " +
      "\"identical\" compares type, name, inputs, secret inputs and dependencies. Resources of one default instance: " +
      Object.entries(comparisons[0].result.byType).map(([t, n]) => `${t.replace(/^kubernetes:/, "")} ${n}`).join(", ") + ".",
  ].join("\n");

  const targets: Target[] = comparisons.flatMap((c) => [
    {
      section: "Overhead",
      target: `${PROGRAMS[c.result.program].title}: ≤ ${MAX_RATIO}× a baseline registering the same ${c.result.baselineResources} resources`,
      measured: `${c.pairWallRatio.toFixed(2)}× (wall, median of ${PROGRAMS[c.result.program].pairs} interleaved pairs; ` +
        `ratio of medians ${c.wallRatio.toFixed(2)}×; CPU ${c.pairCpuRatio.toFixed(2)}×)`,
      ...judgeTime(c.pairWallRatio, MAX_RATIO),
    },
    {
      section: "Overhead",
      target: `${PROGRAMS[c.result.program].title}: the baseline is like for like (same resources, inputs, dependencies)`,
      measured: `${c.result.identical}/${c.result.baselineResources} identical`,
      pass: c.result.identical === c.result.baselineResources && c.result.mismatches.length === 0,
    },
  ]);
  return { title: "2. Overhead of the component against direct registration", markdown, targets };
}

if (require.main === module) sectionMain(run, work);
