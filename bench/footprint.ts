/**
 * The default profile's footprint: CPU and memory requests and limits of one default instance, summed over every
 * container and init container of every workload it registers (Deployments, StatefulSets, Jobs, and the runs of its
 * scheduled CronJobs), times replicas. Steady state is the Deployments and StatefulSets; the peak during a migration
 * adds one Job. Target: ≤ 2 GiB of memory requests at that peak, and with the CronJobs' runs that can overlap (the
 * daily backup and one weekly cleanup: the cleanups' default days differ). A run that fires during a `pulumi up`
 * adds its request to the rollout's: shown as the worst case, not a target (docs/operations.md). The same instance with full-text search on (`search.enabled`, off by default) is
 * measured too: what its OpenSearch server and index Job add is counted, not budgeted.
 *
 * Run alone: npx ts-node --transpile-only bench/footprint.ts
 */
import { KIND } from "../test/harness/stack";
import { Section, Target, inChild, num, sectionMain, table } from "./harness";

const MAX_MEMORY_REQUESTS = 2 * 1024 ** 3;

const SUFFIX: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A Kubernetes quantity ("100m", "1", "512Mi", "1e3") as a number (cores, bytes); 0 when absent. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === "number") return q;
  const m = /^([+-]?[0-9.]+(?:[eE][-+]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(q)}`);
  return Number(m[1]) * SUFFIX[m[2] ?? ""];
}

export interface Usage {
  cpuRequests: number;
  cpuLimits: number;
  memoryRequests: number;
  memoryLimits: number;
}

export const ZERO: Usage = { cpuRequests: 0, cpuLimits: 0, memoryRequests: 0, memoryLimits: 0 };
export const add = (a: Usage, b: Usage): Usage => ({
  cpuRequests: a.cpuRequests + b.cpuRequests,
  cpuLimits: a.cpuLimits + b.cpuLimits,
  memoryRequests: a.memoryRequests + b.memoryRequests,
  memoryLimits: a.memoryLimits + b.memoryLimits,
});
const max = (a: Usage, b: Usage): Usage => ({
  cpuRequests: Math.max(a.cpuRequests, b.cpuRequests),
  cpuLimits: Math.max(a.cpuLimits, b.cpuLimits),
  memoryRequests: Math.max(a.memoryRequests, b.memoryRequests),
  memoryLimits: Math.max(a.memoryLimits, b.memoryLimits),
});
export const times = (a: Usage, n: number): Usage => ({
  cpuRequests: a.cpuRequests * n,
  cpuLimits: a.cpuLimits * n,
  memoryRequests: a.memoryRequests * n,
  memoryLimits: a.memoryLimits * n,
});

function containerUsage(c: any): Usage {
  const r = c.resources ?? {};
  return {
    cpuRequests: quantity(r.requests?.cpu),
    cpuLimits: quantity(r.limits?.cpu),
    memoryRequests: quantity(r.requests?.memory),
    memoryLimits: quantity(r.limits?.memory),
  };
}

/** One workload as recorded: its kind, replicas, pod spec and rollout strategy. */
export interface Workload {
  type: string;
  name: string;
  spec: any;
}

export const CRON_JOB = "kubernetes:batch/v1:CronJob";

export function podsOf(w: Workload): number {
  if (w.type === KIND.Job || w.type === CRON_JOB) return w.spec.parallelism ?? 1;
  return w.spec.replicas ?? 1;
}

/** Per pod: the rule (every container and init container added up) and the scheduler's (init: max). */
export function podUsage(w: Workload): { sum: Usage; scheduled: Usage } {
  const pod = w.spec.template?.spec ?? {};
  const containers = (pod.containers ?? []).map(containerUsage).reduce(add, ZERO);
  const inits = (pod.initContainers ?? []).map(containerUsage);
  return {
    sum: inits.reduce(add, containers),
    // Init containers run one after the other, before the others: a pod needs the largest of them or the sum.
    scheduled: inits.reduce(max, containers),
  };
}

/** Extra pods a rolling update runs beside the old ones (Deployment maxSurge; Recreate and StatefulSets: none). */
export function surgePods(w: Workload): number {
  if (w.type !== KIND.Deployment) return 0;
  const strategy = w.spec.strategy ?? {};
  if (strategy.type === "Recreate") return 0;
  const surge = strategy.rollingUpdate?.maxSurge ?? "25%";
  return typeof surge === "string" && surge.endsWith("%") ? Math.ceil((podsOf(w) * Number(surge.slice(0, -1))) / 100) : Number(surge);
}

/** In a child: the workloads of one default instance, or of one with full-text search on. */
async function work(args: { search?: boolean }): Promise<Workload[]> {
  const { installMocks, runProgram } = await import("../test/harness/mocks");
  const { Stack } = await import("../test/harness/stack");
  const { defaultInstance } = await import("./stacks");
  await installMocks(false);
  const { resources } = await runProgram(() => defaultInstance(args.search ? { search: { enabled: true } } : {}));
  const stack = new Stack(resources);
  return [...stack.workloads().map((r) => ({ type: r.type, name: r.name, spec: r.inputs.spec })), ...scheduledRuns(stack.ofType(CRON_JOB))];
}

/** A scheduled CronJob as one run of its Job; the suspended restore templates run only with Mastodon stopped. */
export function scheduledRuns(cronJobs: { type: string; name: string; inputs: any }[]): Workload[] {
  return cronJobs.filter((r) => !r.inputs.spec.suspend).map((r) => ({ type: CRON_JOB, name: r.name, spec: r.inputs.spec.jobTemplate.spec }));
}

/**
 * The CronJob runs that can be under way at once: the daily backup and the largest cleanup (the cleanups' default
 * days differ, each ends within its deadline, and concurrencyPolicy Forbid keeps each to one run).
 */
export function cronJobOverlap(workloads: Workload[]): Usage {
  const runs = workloads.filter((w) => w.type === CRON_JOB);
  const largest = (ws: Workload[]) => ws.map((w) => times(podUsage(w).sum, podsOf(w))).reduce((a, b) => (b.memoryRequests > a.memoryRequests ? b : a), ZERO);
  const backups = runs.filter((w) => w.name.endsWith("-backup"));
  return add(largest(backups), largest(runs.filter((w) => !backups.includes(w))));
}

const cpu = (cores: number) => (cores < 1 ? `${num(cores * 1000)}m` : `${num(cores, cores % 1 ? 2 : 0)}`);
const memory = (bytes: number) => `${num(bytes / 1024 ** 2)} MiB`;
export const usageCells = (u: Usage) => [cpu(u.cpuRequests), cpu(u.cpuLimits), memory(u.memoryRequests), memory(u.memoryLimits)];

const total = (ws: Workload[], rule: "sum" | "scheduled") => ws.map((w) => times(podUsage(w)[rule], podsOf(w))).reduce(add, ZERO);
const largestJob = (ws: Workload[], rule: "sum" | "scheduled") =>
  ws.filter((w) => w.type === KIND.Job).map((j) => times(podUsage(j)[rule], podsOf(j))).reduce((a, b) => (b.memoryRequests > a.memoryRequests ? b : a), ZERO);
const difference = (a: Usage, b: Usage): Usage => add(a, times(b, -1));

/** Steady state (Deployments and StatefulSets) and the peak while the largest Job runs, by the rule. */
export function footprint(workloads: Workload[]): { steady: Usage; migration: Usage } {
  const steady = total(workloads.filter((w) => w.type !== KIND.Job && w.type !== CRON_JOB), "sum");
  return { steady, migration: add(steady, largestJob(workloads, "sum")) };
}

export async function run(): Promise<Section> {
  const [workloads, withSearch] = await Promise.all([
    inChild<Workload[]>(__filename, {}),
    inChild<Workload[]>(__filename, { search: true }),
  ]);
  const kind = (w: Workload) => w.type.split(":").pop()!;

  const steadyWorkloads = workloads.filter((w) => w.type !== KIND.Job && w.type !== CRON_JOB);
  const jobs = workloads.filter((w) => w.type === KIND.Job);
  const cronOverlap = cronJobOverlap(workloads);
  const surge = (rule: "sum" | "scheduled") => steadyWorkloads.map((w) => times(podUsage(w)[rule], surgePods(w))).reduce(add, ZERO);
  const steady = total(steadyWorkloads, "sum");
  const migration = add(steady, largestJob(jobs, "sum"));
  const rollout = add(steady, surge("sum"));
  const steadyScheduled = total(steadyWorkloads, "scheduled");
  const migrationScheduled = add(steadyScheduled, largestJob(jobs, "scheduled"));
  const withCronJobs = add(steady, cronOverlap);
  const rolloutWithCronJobs = add(rollout, cronOverlap);
  const search = footprint(withSearch);
  const searchWorkloads = withSearch.filter((w) => !workloads.some((d) => d.type === w.type && d.name === w.name));

  const markdown = [
    table(
      ["Workload", "Kind", ">Pods", "Containers (init containers)", ">CPU requests", ">CPU limits", ">Memory requests", ">Memory limits"],
      workloads.map((w) => {
        const pod = w.spec.template?.spec ?? {};
        const names = (pod.containers ?? []).map((c: any) => c.name).join(", ");
        const inits = (pod.initContainers ?? []).map((c: any) => c.name).join(", ");
        return [w.name, kind(w), podsOf(w), inits ? `${names} (${inits})` : names, ...usageCells(times(podUsage(w).sum, podsOf(w)))];
      }),
    ),
    "",
    table(
      ["One default instance", ">CPU requests", ">CPU limits", ">Memory requests", ">Memory limits"],
      [
        ["**Steady state** (Deployments + StatefulSets)", ...usageCells(steady)],
        ["**Peak during a migration** (steady + one Job)", ...usageCells(migration)],
        ["During the rollout of a version change (steady + the Deployments' surge pods; no Job runs then)", ...usageCells(rollout)],
        ["**With the scheduled CronJobs** (steady + a backup and a cleanup run at once)", ...usageCells(withCronJobs)],
        ["Worst case, not a target: a backup and a cleanup run during a rollout (a `pulumi up` at their hour)", ...usageCells(rolloutWithCronJobs)],
        ["Steady state as the scheduler counts it (an init container's request is not added to the others')", ...usageCells(steadyScheduled)],
        ["Peak during a migration as the scheduler counts it", ...usageCells(migrationScheduled)],
      ],
    ),
    "",
    "Rows above the last two add every container and init container of every pod, times its pods (the issue's rule). " +
      "The scheduler reserves, per pod, the larger of the biggest init container and the sum of the others.",
    "",
    table(
      ["With full-text search on (`search.enabled`, embedded OpenSearch; off by default)", ">CPU requests", ">CPU limits", ">Memory requests", ">Memory limits"],
      [
        ...searchWorkloads.map((w) => [`${w.name} (${kind(w)})`, ...usageCells(times(podUsage(w).sum, podsOf(w)))]),
        ["**Steady state**", ...usageCells(search.steady)],
        ["**Peak while a Job runs** (steady + the largest Job)", ...usageCells(search.migration)],
        ["Added to the default's steady state", ...usageCells(difference(search.steady, steady))],
      ],
    ),
  ].join("\n");

  const targets: Target[] = [
    {
      section: "Footprint",
      target: "memory requests of one default instance ≤ 2 GiB, at every moment: steady, during a migration, during a rollout",
      measured: `peak ${memory(Math.max(migration.memoryRequests, rollout.memoryRequests))} ` +
        `(steady ${memory(steady.memoryRequests)}, migration ${memory(migration.memoryRequests)}, rollout ${memory(rollout.memoryRequests)})`,
      pass: Math.max(steady.memoryRequests, migration.memoryRequests, rollout.memoryRequests) <= MAX_MEMORY_REQUESTS,
    },
    {
      section: "Footprint",
      target: "memory requests ≤ 2 GiB with the CronJobs' runs that can overlap (the daily backup and one weekly cleanup)",
      measured: `${memory(withCronJobs.memoryRequests)} (backup and cleanup runs ${memory(cronOverlap.memoryRequests)}); ` +
        `during a rollout, not a target: ${memory(rolloutWithCronJobs.memoryRequests)}`,
      pass: withCronJobs.memoryRequests <= MAX_MEMORY_REQUESTS,
    },
  ];
  return { title: "5. Footprint of the default profile", markdown, targets };
}

if (require.main === module) sectionMain(run, work);
