import * as assert from "node:assert/strict";
import { cronJobSelector, jobAlertRules } from "../../provider/alerts";
import { STARTING_DEADLINE_SECONDS } from "../../provider/names";
import { objectErrors, schemaErrors } from "../harness/schemas";
import { Stack, deploy } from "../harness/stack";

const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CRON_JOB = "kubernetes:batch/v1:CronJob";

/**
 * What an expression may name, written here from the sources rather than taken from the provider: kube-state-metrics'
 * CronJob series and their labels (docs/metrics/workload/cronjob-metrics.md, 2.x: `cronjob`, `namespace`), and
 * PromQL's keywords and functions. No PromQL parser runs here: these checks are a sanity check, not a proof.
 */
const KSM_CRONJOB_SERIES = new Set([
  "kube_cronjob_info", "kube_cronjob_created", "kube_cronjob_next_schedule_time", "kube_cronjob_status_active",
  "kube_cronjob_status_last_schedule_time", "kube_cronjob_status_last_successful_time", "kube_cronjob_spec_suspend",
]);
const PROMQL_WORDS = new Set(["max", "by", "on", "and", "or", "unless", "time", "absent", "namespace", "cronjob"]);

/** The problems of one expression: unbalanced brackets, unknown names, selectors outside the namespace. */
function exprProblems(expr: string, namespace: string): string[] {
  const problems: string[] = [];
  const strings = expr.match(/"[^"]*"/g) ?? [];
  const bare = expr.replace(/"[^"]*"/g, '""');
  if (bare.includes('"') && bare.replace(/""/g, "").includes('"')) problems.push("an unterminated string");
  const stack: string[] = [];
  for (const c of bare) {
    if (c === "(" || c === "{") stack.push(c);
    if (c === ")" || c === "}") {
      const open = stack.pop();
      if (open !== (c === ")" ? "(" : "{")) problems.push(`an unbalanced ${c}`);
    }
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join("")}`);
  for (const word of bare.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
    if (!KSM_CRONJOB_SERIES.has(word) && !PROMQL_WORDS.has(word)) problems.push(`an unknown name ${word}`);
  }
  // Every series selector is in the namespace and names CronJobs; every series has one.
  const selectors = expr.match(/[a-z_]+\{[^}]*\}/g) ?? [];
  for (const series of expr.match(/kube_[a-z_]+/g) ?? []) {
    if (!selectors.some((s) => s.startsWith(`${series}{`))) problems.push(`${series} without a selector`);
  }
  for (const s of selectors) {
    if (!s.includes(`{namespace="${namespace}", cronjob`)) problems.push(`a selector outside ${namespace}: ${s}`);
  }
  if (strings.length === 0) problems.push("no selector at all");
  return problems;
}

/** The CronJob names an expression selects. */
function selectedCronJobs(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/cronjob(=~?)"([^"]*)"/g)) {
    for (const n of m[1] === "=~" ? m[2].split("|").map((x) => x.replace(/\\(.)/g, "$1")) : [m[2]]) names.add(n);
  }
  return [...names].sort();
}

const rulesOf = (stack: Stack) => stack.ofType(RULE).flatMap((r) => r.inputs.spec.groups.flatMap((g: any) => g.rules));

describe("alerts on the scheduled CronJobs", () => {
  let stack: Stack;
  before(async () => {
    ({ stack } = await deploy({ domain: "social.example", namespace: "fedi", metrics: { enabled: true, serviceMonitor: true } }));
  });

  it("are a PrometheusRule by default once a ServiceMonitor is asked for, in the instance's namespace", () => {
    const [rule] = stack.ofType(RULE);
    assert.ok(rule, "a PrometheusRule");
    assert.equal(rule.inputs.metadata.namespace, "fedi");
    assert.equal(rule.inputs.metadata.name, "social-alerts");
    assert.deepEqual(rulesOf(stack).map((r) => r.alert).sort(), [
      "MastodonBackupFailed", "MastodonBackupOverdue", "MastodonBackupUnmonitored", "MastodonMaintenanceFailed", "MastodonMaintenanceOverdue",
    ]);
  });

  it("select exactly the instance's scheduled CronJobs, by the names they were given, in its namespace", () => {
    const scheduled = stack.ofType(CRON_JOB).filter((c) => !c.inputs.spec.suspend).map((c) => c.inputs.metadata.name).sort();
    assert.deepEqual(scheduled, ["social-backup", "social-media-remove", "social-preview-cards"]);
    const rules = rulesOf(stack);
    assert.deepEqual(selectedCronJobs(rules.map((r) => r.expr).join("\n")), scheduled);
    const byAlert = Object.fromEntries(rules.map((r) => [r.alert, selectedCronJobs(r.expr)]));
    assert.deepEqual(byAlert.MastodonBackupFailed, ["social-backup"]);
    assert.deepEqual(byAlert.MastodonMaintenanceFailed, ["social-media-remove", "social-preview-cards"]);
    for (const r of rules) assert.deepEqual(exprProblems(r.expr, "fedi"), [], `${r.alert}: ${r.expr}`);
  });

  it("read kube-state-metrics' CronJob status: the last run after the last success, none running; the next run past its deadline", () => {
    const rules: Record<string, any> = Object.fromEntries(rulesOf(stack).map((r) => [r.alert, r]));
    const failed = rules.MastodonBackupFailed.expr;
    assert.match(failed, /kube_cronjob_status_last_schedule_time\{[^}]*\}\)\n\s*> max by \(namespace, cronjob\) \(kube_cronjob_status_last_successful_time/);
    assert.match(failed, /unless on \(namespace, cronjob\) kube_cronjob_status_last_successful_time/, "a CronJob that never succeeded counts");
    assert.match(failed, /and on \(namespace, cronjob\) \(max by \(namespace, cronjob\) \(kube_cronjob_status_active\{[^}]*\}\) == 0\)$/);
    assert.equal(rules.MastodonBackupOverdue.expr,
      `time() - max by (namespace, cronjob) (kube_cronjob_next_schedule_time{namespace="fedi", cronjob="social-backup"}) > ${STARTING_DEADLINE_SECONDS}`);
    const backup = stack.get(CRON_JOB, "social-backup").inputs.spec;
    assert.equal(backup.startingDeadlineSeconds, STARTING_DEADLINE_SECONDS, "overdue means past the CronJob's own starting deadline");
    assert.equal(rules.MastodonBackupUnmonitored.expr, 'absent(kube_cronjob_info{namespace="fedi", cronjob="social-backup"})');
    for (const r of Object.values(rules)) {
      assert.equal(r.labels.severity, "warning");
      assert.ok(r.annotations.summary && r.annotations.description, r.alert);
    }
  });

  it("pass the Prometheus Operator's schema, which catches a misspelled or missing field", async () => {
    assert.deepEqual(await schemaErrors(stack.resources), []);
    const rule = { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", ...stack.ofType(RULE)[0].inputs };
    const rule0 = rule.spec.groups[0].rules[0];
    assert.deepEqual(await objectErrors({ ...rule, spec: { groups: [{ name: "g", rules: [{ ...rule0, fr: "10m" }] }] } }), ["PrometheusRule social-alerts: unknown field spec.groups[0].rules[0].fr"]);
    assert.match((await objectErrors({ ...rule, spec: { groups: [{ name: "g", rules: [{ alert: "A" }] }] } })).join("\n"), /must have required property '?expr'?/);
  });

  it("are absent by default, without a ServiceMonitor, or when turned off", async () => {
    for (const metrics of [undefined, { enabled: true }, { enabled: true, serviceMonitor: true, alerts: false }]) {
      const { stack: s } = await deploy({ domain: "social.example", ...(metrics ? { metrics } : {}) });
      assert.equal(s.ofType(RULE).length, 0, JSON.stringify(metrics));
    }
  });

  it("need no exporter: asked for alone, they watch the CronJobs that exist, and none without any", async () => {
    const { stack: alone } = await deploy({ domain: "social.example", metrics: { alerts: true }, backups: { enabled: false }, maintenance: { previewCardsRemove: { enabled: false } } });
    assert.deepEqual(rulesOf(alone).map((r) => r.alert).sort(), ["MastodonMaintenanceFailed", "MastodonMaintenanceOverdue"]);
    assert.deepEqual(selectedCronJobs(rulesOf(alone).map((r) => r.expr).join("\n")), ["social-media-remove"]);
    const { stack: none } = await deploy({
      domain: "social.example", metrics: { alerts: true }, backups: { enabled: false },
      maintenance: { mediaRemove: { enabled: false }, previewCardsRemove: { enabled: false } },
    });
    assert.equal(none.ofType(RULE).length, 0);
  });

  it("select several CronJobs with an anchored alternation (PromQL anchors =~), one with an equality", () => {
    assert.equal(cronJobSelector("fedi", ["a-backup"]), '{namespace="fedi", cronjob="a-backup"}');
    assert.equal(cronJobSelector("fedi", ["a-media-remove", "a-preview-cards"]), '{namespace="fedi", cronjob=~"a-media-remove|a-preview-cards"}');
    assert.deepEqual(jobAlertRules("fedi", { backup: [], maintenance: [] }), []);
  });
});
