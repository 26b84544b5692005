/**
 * What an instance's data were last deployed with, and the changes the component refuses without a statement
 * (args `acknowledge`): a Mastodon version that skips a minor series or goes back, an embedded PostgreSQL of
 * another major version (it cannot start on the old data directory), an embedded Redis of an older series (it
 * cannot read newer data files).
 *
 * The record lives in the cluster, in one ConfigMap `<name>-versions`, read back before anything changes:
 *
 *   marker  the ConfigMap itself, created once: `ignoreChanges` keeps the engine's first value of its
 *           created-by annotation, so a run that sees another run's value knows the ConfigMap existed before it
 *   read    when it did: a read of the live ConfigMap (Pulumi reads it in preview as in update), whose version
 *           annotations the previous successful run wrote
 *   check   the requested versions against the read ones; a refusal fails preview and update before any
 *           StatefulSet, Deployment or Job changes (they all wait for the check)
 *   write   a ConfigMapPatch that sets the version annotations, after the post-deployment migration
 *
 * On the first run (no marker yet) and under Pulumi's mock runtime (every resource is new) nothing is read and
 * nothing is refused; tests give the mock an existing marker and record to play a later run.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MastodonConfig, imageTag } from "./args";
import { BuildContext, childOpts } from "./context";
import { LABEL_PREFIX, instanceLabels } from "./names";
import { InvalidArgsError } from "./validation";
import { parseVersion, upgradeWarnings } from "./versions";

export const RECORD_ANNOTATIONS = {
  createdBy: `${LABEL_PREFIX}/record-created-by`,
  version: `${LABEL_PREFIX}/version`,
  postgresqlMajor: `${LABEL_PREFIX}/postgresql-major`,
  redisSeries: `${LABEL_PREFIX}/redis-series`,
} as const;

/** What the data were deployed with; absent fields are not recorded (an external server, a digest-only image). */
export interface DeployedVersions {
  version?: string;
  postgresqlMajor?: string;
  redisSeries?: string;
}

/** "17" from postgres:17.6 (parts 1), "7.4" from redis:7.4.5 (parts 2); undefined when the tag does not say. */
export function imageSeries(image: string, parts: 1 | 2): string | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(imageTag(image) ?? "");
  if (!m || (parts === 2 && m[2] === undefined)) return undefined;
  return parts === 1 ? m[1] : `${m[1]}.${m[2]}`;
}

/** What this run deploys. */
export function requestedVersions(config: MastodonConfig): DeployedVersions {
  return {
    version: config.version.tag,
    postgresqlMajor: config.postgresql.embedded ? imageSeries(config.postgresql.image, 1) : undefined,
    // Without persistence Redis starts empty: any series will do.
    redisSeries: config.redis.embedded && config.redis.persistence ? imageSeries(config.redis.image, 2) : undefined,
  };
}

const seriesNumber = (s: string) => s.split(".").map(Number).reduce((a, n) => a * 1000 + n, 0);

/** The refusals of going from `previous` to `requested`, each naming the field, the value and what is expected. */
export function versionChangeProblems(previous: DeployedVersions, requested: DeployedVersions, config: Pick<MastodonConfig, "postgresql" | "redis" | "acknowledge">): string[] {
  const ack = config.acknowledge;
  const problems: string[] = [];
  if (previous.version && requested.version && parseVersion(previous.version) && ack.versionChangeFrom !== previous.version) {
    const warnings = upgradeWarnings(previous.version, requested.version);
    if (warnings.length > 0) {
      problems.push(`args.version: got ${JSON.stringify(requested.version)}; expected a release Mastodon supports going to from ${previous.version}, the version the instance runs: ` +
        `${warnings.join(" ")} Deploy the series in between first, or set acknowledge.versionChangeFrom to "${previous.version}" to go ahead anyway`);
    }
  }
  if (previous.postgresqlMajor && requested.postgresqlMajor && previous.postgresqlMajor !== requested.postgresqlMajor &&
      ack.postgresqlMajorFrom !== previous.postgresqlMajor) {
    problems.push(`args.postgresql.image: got ${JSON.stringify(config.postgresql.image)}; expected PostgreSQL ${previous.postgresqlMajor}, the major version ` +
      `the data volume holds (PostgreSQL ${requested.postgresqlMajor} cannot start on its data directory). Move the data first (dump and restore, or pg_upgrade: ` +
      `docs/upgrades.md), then set acknowledge.postgresqlMajorFrom to "${previous.postgresqlMajor}" and acknowledge.postgresqlUpgradeMethod`);
  }
  if (previous.redisSeries && requested.redisSeries && seriesNumber(requested.redisSeries) < seriesNumber(previous.redisSeries) &&
      ack.redisSeriesFrom !== previous.redisSeries) {
    problems.push(`args.redis.image: got ${JSON.stringify(config.redis.image)}; expected Redis ${previous.redisSeries} or later: the data volume holds files ` +
      `Redis ${previous.redisSeries} wrote, which Redis ${requested.redisSeries} cannot read. Move or empty the data first, then set acknowledge.redisSeriesFrom to "${previous.redisSeries}"`);
  }
  return problems;
}

function annotationsOf(v: DeployedVersions): Record<string, string> {
  const out: Record<string, string> = {};
  if (v.version) out[RECORD_ANNOTATIONS.version] = v.version;
  if (v.postgresqlMajor) out[RECORD_ANNOTATIONS.postgresqlMajor] = v.postgresqlMajor;
  if (v.redisSeries) out[RECORD_ANNOTATIONS.redisSeries] = v.redisSeries;
  return out;
}

export function versionsOf(annotations: Record<string, string> | undefined): DeployedVersions {
  const a = annotations ?? {};
  return { version: a[RECORD_ANNOTATIONS.version], postgresqlMajor: a[RECORD_ANNOTATIONS.postgresqlMajor], redisSeries: a[RECORD_ANNOTATIONS.redisSeries] };
}

export interface VersionRecord {
  /** Resolves once the change is allowed; fails the deployment with the refusals otherwise. */
  checked: pulumi.Output<void>;
  /** Records this run's versions once `after` are done. */
  write(after: pulumi.Input<pulumi.Resource>[]): k8s.core.v1.ConfigMapPatch;
}

export function versionRecord(ctx: BuildContext): VersionRecord {
  const { name, namespace, config } = ctx;
  const recordName = `${name}-versions`;
  const requested = requestedVersions(config);
  // Unique to this run: the marker keeps the first run's value (ignoreChanges), so another value means "existed".
  const run = crypto.randomUUID();
  const marker = new k8s.core.v1.ConfigMap(recordName, {
    metadata: { name: recordName, namespace, labels: instanceLabels(name), annotations: { [RECORD_ANNOTATIONS.createdBy]: run } },
  }, childOpts(ctx, { ignoreChanges: ["metadata.annotations"] }));

  const checked = marker.metadata.apply((m) => {
    const createdBy = m.annotations?.[RECORD_ANNOTATIONS.createdBy];
    if (createdBy === undefined || createdBy === run) return pulumi.output<void>(undefined);
    const live = k8s.core.v1.ConfigMap.get(`${recordName}-previous`, pulumi.interpolate`${m.namespace}/${recordName}`, childOpts(ctx, { dependsOn: [marker] }));
    return live.metadata.apply((l) => {
      const problems = versionChangeProblems(versionsOf(l.annotations), requested, config);
      if (problems.length > 0) throw new InvalidArgsError(`MastodonCluster "${name}"`, problems);
    });
  });

  return {
    checked,
    write: (after) => new k8s.core.v1.ConfigMapPatch(recordName, {
      metadata: { name: marker.metadata.name, namespace, annotations: checked.apply(() => annotationsOf(requested)) },
    }, childOpts(ctx, { dependsOn: [marker, ...after] })),
  };
}
