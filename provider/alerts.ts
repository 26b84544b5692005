/**
 * Alerts on the instance's scheduled CronJobs (the backup, the cleanups), with `metrics.alerts` (the default when
 * `metrics.serviceMonitor` is on): a Prometheus Operator PrometheusRule on kube-state-metrics' CronJob series, since
 * Mastodon's exporter knows nothing of them. Their last run failed; a scheduled run did not start; kube-state-metrics
 * reports no backup CronJob (else every other alert is silent). The migration, admin and search Jobs have none:
 * `pulumi up` awaits them, and fails with them.
 *
 * The CronJobs are selected by the names their own modules give them (backupCronJobName, maintenanceCronJobName).
 * kube-state-metrics 2.x: `kube_cronjob_status_last_successful_time` is its; its labels are `namespace` and
 * `cronjob` (the object's, with the honorLabels its usual ServiceMonitor sets).
 */
import * as k8s from "@pulumi/kubernetes";
import type { MastodonConfig } from "./args";
import { backupCronJobName } from "./backups";
import { BuildContext, childOpts } from "./context";
import { maintenanceCronJobName, maintenanceTasks } from "./maintenance";
import { STARTING_DEADLINE_SECONDS, instanceLabels } from "./names";

/** The scheduled CronJobs the alerts watch, by kind: the backup (when the instance has one) and the cleanups. */
export interface WatchedCronJobs {
  backup: string[];
  maintenance: string[];
}

/** The names of the instance's scheduled CronJobs, from the functions that name them. */
export function watchedCronJobs(config: MastodonConfig, withBackup: boolean): WatchedCronJobs {
  return {
    backup: withBackup ? [backupCronJobName(config.name)] : [],
    maintenance: maintenanceTasks(config).map((t) => maintenanceCronJobName(config.name, t.id)),
  };
}

/** A PromQL selector of some CronJobs of a namespace: `{namespace="social", cronjob=~"a|b"}`. */
export function cronJobSelector(namespace: string, names: string[]): string {
  const matcher = names.length === 1
    ? `cronjob="${names[0]}"`
    : `cronjob=~"${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")}"`;
  return `{namespace="${namespace}", ${matcher}}`;
}

const BY_CRONJOB = "max by (namespace, cronjob)";

/**
 * The last run did not succeed and none runs now: the CronJob was last scheduled after its last success
 * (lastSuccessfulTime is a completion time, so a run that succeeded ends after it was scheduled), or it never
 * succeeded at all. Resolved by the next successful run.
 */
export function lastRunFailedExpr(selector: string): string {
  const scheduled = `${BY_CRONJOB} (kube_cronjob_status_last_schedule_time${selector})`;
  return [
    "(",
    `  ${scheduled}`,
    `    > ${BY_CRONJOB} (kube_cronjob_status_last_successful_time${selector})`,
    "  or",
    `  ${scheduled}`,
    `    unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${selector}`,
    ")",
    `and on (namespace, cronjob) (${BY_CRONJOB} (kube_cronjob_status_active${selector}) == 0)`,
  ].join("\n");
}

/**
 * A scheduled run did not start: the next scheduled time kube-state-metrics computes (from the last one, or the
 * creation) is past by more than the starting deadline (the controller down, a run skipped because the previous one
 * still ran, the CronJob suspended).
 */
export function overdueExpr(selector: string): string {
  return `time() - ${BY_CRONJOB} (kube_cronjob_next_schedule_time${selector}) > ${STARTING_DEADLINE_SECONDS}`;
}

/** The alerting rules (the PrometheusRule's one group) for the given CronJobs of `namespace`; none without any. */
export function jobAlertRules(namespace: string, watched: WatchedCronJobs): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  const kinds = [
    { kind: "Backup", names: watched.backup, component: "backup", what: "backup of PostgreSQL" },
    { kind: "Maintenance", names: watched.maintenance, component: "maintenance", what: "cleanup" },
  ];
  for (const { kind, names, component, what } of kinds) {
    if (names.length === 0) continue;
    const selector = cronJobSelector(namespace, names);
    const jobs = `kubectl --namespace {{ $labels.namespace }} get jobs -l app.kubernetes.io/component=${component}`;
    rules.push({
      alert: `Mastodon${kind}Failed`,
      expr: lastRunFailedExpr(selector),
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `The last ${what} ({{ $labels.cronjob }}) failed`,
        description: `The last run of CronJob {{ $labels.cronjob }} in {{ $labels.namespace }} did not succeed. Its failed Job is kept: ${jobs}, then kubectl logs job/<name> (docs/operations.md). The next successful run resolves this alert.`,
      },
    }, {
      alert: `Mastodon${kind}Overdue`,
      expr: overdueExpr(selector),
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: `A scheduled ${what} ({{ $labels.cronjob }}) did not start`,
        description: `CronJob {{ $labels.cronjob }} in {{ $labels.namespace }} has not started its scheduled run for over ${STARTING_DEADLINE_SECONDS / 60} minutes: suspended, its previous run still going, or the CronJob controller not running. kubectl --namespace {{ $labels.namespace }} describe cronjob {{ $labels.cronjob }}.`,
      },
    });
    if (kind === "Backup") {
      rules.push({
        alert: "MastodonBackupUnmonitored",
        expr: `absent(kube_cronjob_info${selector})`,
        for: "1h",
        labels: { severity: "warning" },
        annotations: {
          summary: `kube-state-metrics reports no CronJob ${names.join(", ")}`,
          description: `Prometheus has no kube_cronjob_info series for ${names.join(", ")} in ${namespace}: the backup alerts cannot fire. Is kube-state-metrics running, and scraped by this Prometheus?`,
        },
      });
    }
  }
  return rules;
}

/**
 * The PrometheusRule of the scheduled CronJobs, with `metrics.alerts`, in the instance's namespace (Prometheus'
 * ruleSelector and ruleNamespaceSelector must admit it); none when the instance has no scheduled CronJob.
 */
export function jobAlerts(ctx: BuildContext, watched: WatchedCronJobs): k8s.apiextensions.CustomResource | undefined {
  const { name, namespace, config } = ctx;
  if (!config.metrics.alerts) return undefined;
  const rules = jobAlertRules(config.namespace, watched);
  if (rules.length === 0) return undefined;
  return new k8s.apiextensions.CustomResource(`${name}-alerts`, {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `${name}-alerts`, namespace, labels: instanceLabels(name) },
    spec: { groups: [{ name: `mastodon-${name}-scheduled-jobs`, rules }] },
  }, childOpts(ctx));
}
