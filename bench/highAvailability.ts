/**
 * The high-availability profile (bench/stacks.ts haArgs: PostgreSQL on CloudNativePG with PgBouncer, Redis with
 * Sentinel, autoscaled web, streaming and sidekiq):
 * - its footprint: memory and CPU requests of every pod it runs, at the autoscalers' minimum (steady state), during a
 *   rollout at that minimum, while a migration Job runs, and with every autoscaler at its maximum. The pods of
 *   CloudNativePG's `Cluster` and `Pooler` are counted from their specs (instances × resources), as the operator
 *   will run them; the operator's own pods, shared by the cluster, are not.
 * - its evaluation on Pulumi's mock runtime: a lab of 10 HA instances against a lab of 10 default instances (one
 *   MastodonPlatform each), median of 3 interleaved runs in fresh processes. Target: an HA instance costs no more per
 *   registered resource than a default one, within 1.5× (no mode adds work out of proportion to what it registers).
 *
 * Run alone: npx ts-node --transpile-only bench/highAvailability.ts
 */
import { performance } from "node:perf_hooks";
import { KIND } from "../test/harness/stack";
import { Usage, ZERO, add, usageCells, podUsage, podsOf, surgePods, times } from "./footprint";
import { Section, Target, collectGarbage, cpuMs, inChild, judgeTime, median, num, sectionMain, table } from "./harness";

const LAB_SIZE = 10;
const RUNS = 3;
const MAX_COST_RATIO = 1.5;

const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const CNPG_POOLER = "kubernetes:postgresql.cnpg.io/v1:Pooler";

/** One group of identical pods: what each requests, and how many run at the minimum and at the maximum. */
export interface PodGroup {
  name: string;
  kind: string;
  perPod: Usage;
  min: number;
  max: number;
  /** Extra pods a rollout of a version change starts beside the old ones, at the minimum. */
  surge: number;
  job: boolean;
}

interface Recorded {
  type: string;
  name: string;
  inputs: any;
}

/**
 * The pod groups of a recorded stack: Deployments (counted from their autoscaler's bounds when one targets them),
 * StatefulSets, Jobs, and CloudNativePG's Clusters and Poolers (instances × the resources of their one container).
 */
export function podGroups(resources: Recorded[]): PodGroup[] {
  const bounds = new Map<string, { min: number; max: number }>();
  for (const r of resources.filter((x) => x.type === HPA)) {
    bounds.set(r.inputs.spec.scaleTargetRef.name, { min: r.inputs.spec.minReplicas ?? 1, max: r.inputs.spec.maxReplicas });
  }
  return resources.flatMap((r): PodGroup[] => {
    const kind = r.type.split(":").pop()!;
    if (([KIND.Deployment, KIND.StatefulSet, KIND.Job] as string[]).includes(r.type)) {
      const w = { type: r.type, name: r.name, spec: r.inputs.spec };
      const b = bounds.get(r.inputs.metadata?.name ?? r.name) ?? { min: podsOf(w), max: podsOf(w) };
      const perPod = podUsage(w).sum;
      const surge = b.min > 0 ? surgePods({ ...w, spec: { ...w.spec, replicas: b.min } }) : 0;
      return [{ name: r.name, kind, perPod, min: b.min, max: b.max, surge, job: r.type === KIND.Job }];
    }
    if (r.type === CNPG_CLUSTER || r.type === CNPG_POOLER) {
      const spec = r.inputs.spec;
      const container = r.type === CNPG_CLUSTER ? { resources: spec.resources } : spec.template.spec.containers[0];
      const perPod = podUsage({ type: KIND.Deployment, name: r.name, spec: { template: { spec: { containers: [container] } } } }).sum;
      return [{ name: r.name, kind, perPod, min: spec.instances, max: spec.instances, surge: 0, job: false }];
    }
    return [];
  });
}

/** The footprint at each moment that matters, from the pod groups. */
export function haFootprint(groups: PodGroup[]) {
  const running = groups.filter((g) => !g.job);
  const sum = (f: (g: PodGroup) => Usage) => running.map(f).reduce(add, ZERO);
  const steady = sum((g) => times(g.perPod, g.min));
  const largestJob = groups.filter((g) => g.job).map((g) => g.perPod).reduce((a, b) => (b.memoryRequests > a.memoryRequests ? b : a), ZERO);
  const maximum = sum((g) => times(g.perPod, g.max));
  return {
    steady,
    rollout: add(steady, sum((g) => times(g.perPod, g.surge))),
    migration: add(steady, largestJob),
    maximum,
    maximumRollout: add(maximum, sum((g) => times(g.perPod, g.surge))),
  };
}

type Work = { kind: "footprint" } | { kind: "lab"; profile: "default" | "ha" };

interface LabRun {
  profile: "default" | "ha";
  resources: number;
  wallMs: number;
  cpuMs: number;
}

/** In a child: the pod groups of one HA instance, or one measured evaluation of a lab. */
async function work(args: Work): Promise<PodGroup[] | LabRun> {
  const { installMocks, runProgram } = await import("../test/harness/mocks");
  const { MastodonCluster } = await import("../provider");
  const { haArgs, haLabStack, labStack } = await import("./stacks");
  await installMocks(false);
  if (args.kind === "footprint") {
    const { resources } = await runProgram(() => new MastodonCluster("social", haArgs("social.example")));
    return podGroups(resources);
  }
  const lab = args.profile === "ha" ? haLabStack : labStack;
  // Two one-instance labs first: module loading and the JIT, as bench/evaluate.ts does.
  await runProgram(() => lab(1, "warmup"));
  await runProgram(() => lab(1, "warmup-again"));
  collectGarbage();
  const cpu = process.cpuUsage();
  const t = performance.now();
  const { resources } = await runProgram(() => lab(LAB_SIZE, "m"));
  return { profile: args.profile, resources: resources.length, wallMs: performance.now() - t, cpuMs: cpuMs(cpu) };
}

export async function run(): Promise<Section> {
  const groups = (await inChild<PodGroup[]>(__filename, { kind: "footprint" } satisfies Work));
  const f = haFootprint(groups);

  const runs: LabRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const profile of ["default", "ha"] as const) runs.push(await inChild<LabRun>(__filename, { kind: "lab", profile } satisfies Work));
  }
  const labs = (["default", "ha"] as const).map((profile) => {
    const of = runs.filter((x) => x.profile === profile);
    return { profile, resources: of[0].resources, wallMs: median(of.map((x) => x.wallMs)), cpuMs: median(of.map((x) => x.cpuMs)) };
  });
  const perResource = (l: (typeof labs)[number], key: "wallMs" | "cpuMs") => l[key] / l.resources;
  const [plain, ha] = labs;
  const wallRatio = perResource(ha, "wallMs") / perResource(plain, "wallMs");
  const cpuRatio = perResource(ha, "cpuMs") / perResource(plain, "cpuMs");

  const markdown = [
    table(
      ["Pods", "Kind", ">Pods at the minimum", ">Pods at the maximum", ">Surge pods", ">CPU request per pod", ">Memory request per pod"],
      groups.map((g) => [g.name, g.kind, g.job ? "1 (while it runs)" : g.min, g.job ? "" : g.max, g.surge, ...usageCells(g.perPod).filter((_, i) => i === 0 || i === 2)]),
    ),
    "",
    table(
      ["One HA instance", ">CPU requests", ">CPU limits", ">Memory requests", ">Memory limits"],
      [
        ["**Steady state** (every autoscaler at its minimum)", ...usageCells(f.steady)],
        ["During the rollout of a version change (steady + the Deployments' surge pods)", ...usageCells(f.rollout)],
        ["While a migration Job runs (steady + the largest Job)", ...usageCells(f.migration)],
        ["**Every autoscaler at its maximum**", ...usageCells(f.maximum)],
        ["At the maximum, during a rollout", ...usageCells(f.maximumRollout)],
      ],
    ),
    "",
    "The CloudNativePG rows are the operator's pods as their specs ask for them (its instance manager runs inside the " +
      "PostgreSQL container; the operator's own Deployment, shared by the cluster, is not counted). KEDA's and the " +
      "metrics server's pods are the cluster's, not the instance's.",
    "",
    table(
      [`Lab of ${LAB_SIZE} (one MastodonPlatform)`, ">Resources registered", ">Wall time (ms)", ">CPU time (ms)", ">Wall ms per resource", ">CPU ms per resource"],
      labs.map((l) => [l.profile === "ha" ? "HA profile" : "Default profile", num(l.resources), num(l.wallMs), num(l.cpuMs), perResource(l, "wallMs").toFixed(2), perResource(l, "cpuMs").toFixed(2)]),
    ),
    "",
    `Medians of ${RUNS} runs, the two labs taking turns, each in a fresh process after two one-instance warm-up labs.`,
  ].join("\n");

  const targets: Target[] = [
    {
      section: "High availability",
      target: `a lab of ${LAB_SIZE} HA instances costs ≤ ${MAX_COST_RATIO}× a default lab's time per registered resource`,
      measured: `${wallRatio.toFixed(2)}× (wall, ${num(ha.wallMs)} ms for ${num(ha.resources)} resources; CPU ${cpuRatio.toFixed(2)}×)`,
      ...judgeTime(wallRatio, MAX_COST_RATIO),
    },
  ];
  return { title: "6. The high-availability profile", markdown, targets };
}

if (require.main === module) sectionMain(run, work);
