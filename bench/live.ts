/**
 * `npm run bench:live`: the real engine on the live suite's simulated cluster (test/live), measured in one run:
 *
 *   1. `pulumi up` of one instance (programs/instance: every default but the supplied secrets and issuer) to ready,
 *      and its critical path as the API server recorded it (creation, readiness and completion timestamps);
 *   2. `pulumi preview` of that program on a new stack against a program registering the same objects directly
 *      (programs/direct, from `pulumi stack export` of the deployed stack), alternating, as a ratio of medians and
 *      the median of the pairs' own ratios;
 *   3. what `--policy-pack policy` adds to that preview (the same program with and without the pack, alternating).
 *
 * Needs the tools of test/live/toolchain.sh; starts the cluster unless one runs (LIVE_CLUSTER_DIR). Prints markdown;
 * `npm run bench:live -- --write` also writes it into BENCHMARKS.md between its live:start and live:end markers.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { at, kubectlItems, PROGRAMS, ROOT, RunResult, Stack, tail } from "../test/live/harness";
import { ensureCluster, releaseCluster } from "../test/live/hooks";
import { newInstanceStack, POLICY_PACK, policyConfigFile } from "../test/live/stacks";
import { median, num, table } from "./harness";

const PAIRS = Number(process.env.BENCH_LIVE_PAIRS ?? 5);
const INSTANCE = { name: "bench", domain: "bench.live.test" };
const BENCHMARKS = path.join(ROOT, "BENCHMARKS.md");

function ok(what: string, r: RunResult): RunResult {
  if (r.status !== 0) throw new Error(`${what} failed:\n${tail(r, 60)}`);
  return r;
}

/** When each step of the instance's rollout happened, in seconds after its namespace was created. */
function criticalPath(namespace: string): Array<[string, number]> {
  const ns = kubectlItems("namespaces").find((n) => n.metadata.name === namespace);
  const t0 = at(ns.metadata.creationTimestamp, "namespace");
  const steps: Array<[string, number]> = [["namespace created", t0]];
  const readyAt = (p: any) => at((p.status.conditions ?? []).find((c: any) => c.type === "Ready")?.lastTransitionTime, p.metadata.name);
  for (const p of kubectlItems("pods", namespace)) {
    const component = p.metadata.labels?.["app.kubernetes.io/component"];
    if (component === "postgresql" || component === "redis") steps.push([`${component} pod ready`, readyAt(p)]);
  }
  for (const j of kubectlItems("jobs", namespace)) {
    const step = /db-migrate-(pre|post)/.exec(j.metadata.name)?.[1];
    if (!step) continue;
    steps.push([`${step}-deployment migration Job created`, at(j.metadata.creationTimestamp, j.metadata.name)]);
    steps.push([`${step}-deployment migration Job complete`, at(j.status.completionTime, j.metadata.name)]);
  }
  for (const d of kubectlItems("deployments", namespace)) {
    const component = d.metadata.labels?.["app.kubernetes.io/component"];
    steps.push([`${component} Deployment created`, at(d.metadata.creationTimestamp, d.metadata.name)]);
    const progressing = (d.status.conditions ?? []).find((c: any) => c.type === "Progressing");
    steps.push([`${component} Deployment rolled out`, at(progressing?.lastUpdateTime, d.metadata.name)]);
  }
  for (const c of kubectlItems("certificates.cert-manager.io", namespace)) {
    const ready = (c.status?.conditions ?? []).find((x: any) => x.type === "Ready");
    steps.push([`Certificate ${c.metadata.name} ready`, at(ready?.lastTransitionTime, c.metadata.name)]);
  }
  return steps.map(([what, t]): [string, number] => [what, t - t0]).sort((a, b) => a[1] - b[1]);
}

/** Alternating runs of two commands; each pair runs back to back. */
function alternate(a: () => RunResult, b: () => RunResult, pairs: number): { a: number[]; b: number[]; ratios: number[] } {
  const out = { a: [] as number[], b: [] as number[], ratios: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    const ra = ok("run A", a()).ms;
    const rb = ok("run B", b()).ms;
    out.a.push(ra);
    out.b.push(rb);
    out.ratios.push(ra / rb);
  }
  return out;
}

async function main(): Promise<void> {
  const write = process.argv.includes("--write");
  ensureCluster();
  try {
    // 1. Up to ready.
    const deployed = newInstanceStack("bench-up", INSTANCE.name, INSTANCE.domain);
    const up = ok("pulumi up", deployed.pulumi(["up", "--yes", "--skip-preview"]));
    const namespace = deployed.outputs().namespace;
    const path1 = criticalPath(namespace);

    // 2. The component's preview against the same objects registered directly, both on new stacks.
    const resourcesFile = path.join(deployed.dir, "resources.json");
    fs.writeFileSync(resourcesFile, JSON.stringify(deployed.resources()));
    const component = newInstanceStack("bench-component", INSTANCE.name, INSTANCE.domain);
    const direct = new Stack(path.join(PROGRAMS, "direct"), "bench-direct");
    direct.init({ resources: resourcesFile });
    const preview = (s: Stack, extra: string[] = []) => () => s.pulumi(["preview", ...extra]);
    ok("warm-up preview", component.pulumi(["preview"]));
    ok("warm-up preview", direct.pulumi(["preview"]));
    const overhead = alternate(preview(component), preview(direct), PAIRS);

    // 3. The policy pack's share of a preview.
    const pack = ["--policy-pack", POLICY_PACK, "--policy-pack-config", policyConfigFile(component.dir)];
    const policy = alternate(preview(component, pack), preview(component), PAIRS);

    const resources = deployed.resources().filter((r) => r.custom && !String(r.type).startsWith("pulumi:")).length;
    const s = (ms: number) => `${num(ms / 1000, 1)} s`;
    const markdown = [
      "## Real engine (test/live)",
      "",
      `Measured by \`npm run bench:live\` (bench/live.ts) with the live suite's tools (test/live/versions.env) on its simulated cluster, ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}.`,
      `One instance: ${resources} Kubernetes objects. Previews alternate, ${PAIRS} pairs each, after one warm-up run of each program.`,
      "",
      table(
        ["Measure", "Median", "Runs"],
        [
          ["`pulumi up` to ready (wall)", s(up.ms), "1"],
          ["`pulumi preview`, the component (new stack)", s(median(overhead.a)), overhead.a.map(s).join(", ")],
          ["`pulumi preview`, the same objects registered directly", s(median(overhead.b)), overhead.b.map(s).join(", ")],
          ["component / direct: ratio of medians", `${num(median(overhead.a) / median(overhead.b), 2)}×`, ""],
          ["component / direct: median of the pairs' ratios", `${num(median(overhead.ratios), 2)}×`, overhead.ratios.map((r) => num(r, 2)).join(", ")],
          ["`pulumi preview --policy-pack policy`", s(median(policy.a)), policy.a.map(s).join(", ")],
          ["with / without the pack: median of the pairs' ratios", `${num(median(policy.ratios), 2)}×`, policy.ratios.map((r) => num(r, 2)).join(", ")],
        ],
      ),
      "",
      "The critical path of that `pulumi up`, from the API server's timestamps (one-second resolution), in seconds after the namespace was created:",
      "",
      table(["Step", "At (s)"], path1.map(([what, t]) => [what, num(t)])),
    ].join("\n");
    process.stdout.write(`${markdown}\n`);
    if (write) {
      const text = fs.readFileSync(BENCHMARKS, "utf8");
      const block = `<!-- live:start -->\n${markdown}\n<!-- live:end -->`;
      const next = /<!-- live:start -->[\s\S]*<!-- live:end -->/.test(text)
        ? text.replace(/<!-- live:start -->[\s\S]*<!-- live:end -->/, block)
        : `${text.trimEnd()}\n\n${block}\n`;
      fs.writeFileSync(BENCHMARKS, next);
    }
  } finally {
    releaseCluster();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
});
