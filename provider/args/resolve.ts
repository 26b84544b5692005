/**
 * parseArgs: MastodonClusterArgs validated (field rules, then cross-field rules) and resolved into
 * MastodonConfig, the one configuration every module builds from. External hosts given as Outputs
 * are held to the isolation rule here, when they resolve.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { InvalidArgsError, formatValue, parseOrThrow } from "../validation";
import { parseVersion } from "../versions";
import { ParsedArgs, argsObject } from "./clusterSchema";
import type { MastodonClusterArgs } from "./contract";
import {
  CLOUDNATIVEPG_IMAGE, DEFAULT_RESOURCES, GATEWAY_PORT, LETS_ENCRYPT_SERVER, MAX_NAME_LENGTH, OPENSEARCH_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE,
  SEARCH_DEPLOY_DEFAULTS, defaultWorkers,
} from "./defaults";
import { K8S_LABEL, egressGatewayOptions, withProfile } from "./fields";
import {
  ISOLATED_DATA_HOST, argsWarnings, connectionBudget, crossFieldRules, isInCluster, operationsRules, poolerSizing, scalingRules, searchDeployConnections,
  searchRules,
} from "./rules";

/** The schema of MastodonClusterArgs for the component named `name`: fields, cross-field rules, resolution. */
export function mastodonClusterArgsSchema(name: string) {
  return argsObject(name)
    .superRefine((args, ctx) => {
      crossFieldRules(args, ctx);
      operationsRules(args, ctx);
      scalingRules(args, ctx);
      searchRules(args, ctx);
    })
    .transform((args) => resolve(name, args));
}

/** An external server's host given as an Output, held to the isolation rule when it resolves. */
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string>): pulumi.Input<string>;
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined;
function isolatedHost(name: string, a: ParsedArgs, path: string[], host: pulumi.Input<string> | undefined) {
  if (a.allowPublicEgress || host === undefined || typeof host === "string") return host;
  return pulumi.output(host).apply((resolved) => {
    if (!isInCluster(resolved, a.clusterCidrs)) {
      throw new InvalidArgsError(`MastodonCluster "${name}"`, [`args.${path.join(".")}: got ${formatValue(path.join("."), resolved)}; expected ${ISOLATED_DATA_HOST}`]);
    }
    return resolved;
  });
}

function resolve(name: string, a: ParsedArgs) {
  const version = parseVersion(a.version)!;
  const cnpg = a.postgresql.cloudNativePG;
  const embeddedPostgresql = a.postgresql.external === undefined && cnpg === undefined;
  const workers = (a.sidekiqWorkers ?? defaultWorkers(version)).map((w) => ({
    ...w,
    ...sidekiqScaling(w),
    dbPool: w.dbPool ?? w.concurrency,
  }));
  const embeddedRedis = a.redis.external === undefined;
  return {
    name,
    domain: a.domain as pulumi.Input<string>,
    webDomain: a.webDomain as pulumi.Input<string> | undefined,
    version,
    imageRepository: a.imageRepository,
    streamingImageRepository: a.streamingImageRepository,
    namespace: a.namespace,
    createNamespace: a.createNamespace,
    postgresql: {
      embedded: embeddedPostgresql,
      external: a.postgresql.external && {
        ...a.postgresql.external,
        host: isolatedHost(name, a, ["postgresql", "external", "host"], a.postgresql.external.host),
        directHost: isolatedHost(name, a, ["postgresql", "external", "directHost"], a.postgresql.external.directHost),
      },
      cloudNativePG: cnpg && {
        ...cnpg,
        pooler: cnpg.pooler.enabled
          ? { ...cnpg.pooler, ...poolerSizing(a.postgresql.maxConnections, cnpg.pooler.instances, clientConnections(a, workers)) }
          : undefined,
      },
      maxConnections: a.postgresql.maxConnections,
      image: a.postgresql.image ?? (cnpg ? CLOUDNATIVEPG_IMAGE : POSTGRES_IMAGE),
      storageSize: a.postgresql.storageSize ?? "8Gi",
      storageClassName: a.postgresql.storageClassName,
      resources: a.postgresql.resources,
    },
    redis: {
      embedded: embeddedRedis,
      external: a.redis.external && { ...a.redis.external, host: isolatedHost(name, a, ["redis", "external", "host"], a.redis.external.host) },
      /** The embedded Sentinel set, when enabled (redisSentinel.ts). */
      sentinel: embeddedRedis && a.redis.sentinel?.enabled ? { replicas: a.redis.sentinel.replicas, resources: a.redis.sentinel.resources } : undefined,
      image: a.redis.image ?? REDIS_IMAGE,
      persistence: a.redis.persistence ?? true,
      storageSize: a.redis.storageSize ?? "1Gi",
      storageClassName: a.redis.storageClassName,
      resources: a.redis.resources,
      cache: a.redis.cache,
    },
    media: {
      s3: a.media.s3,
      storageSize: a.media.storageSize ?? "10Gi",
      storageClassName: a.media.storageClassName,
      accessMode: a.media.accessMode ?? "ReadWriteOnce",
    },
    web: { ...a.web, ...scaling(a.web), dbPool: a.web.dbPool ?? a.web.threads },
    streaming: { ...a.streaming, ...scaling(a.streaming) },
    sidekiqWorkers: workers,
    keda: a.keda,
    secrets: a.secrets,
    smtp: a.smtp,
    clusterCidrs: a.clusterCidrs,
    allowPublicEgress: a.allowPublicEgress,
    egressGateway: a.egressGateway && {
      own: a.egressGateway.enabled,
      // The instance's own gateway's Service is named after it (egressGateway.ts).
      proxyUrl: a.egressGateway.enabled ? `http://${name}-egress-gateway.${a.namespace}.svc.cluster.local:${GATEWAY_PORT}` : a.egressGateway.proxyUrl!,
      namespace: a.egressGateway.namespace,
      settings: pickGatewaySettings(a.egressGateway),
    },
    dns: a.dns,
    ingress: a.ingress,
    tls: { ...a.tls, issuerKind: a.tls.issuerKind ?? "ClusterIssuer", acmeServer: a.tls.acmeServer ?? LETS_ENCRYPT_SERVER },
    extraEnv: a.extraEnv,
    migrations: { ...a.migrations, resources: DEFAULT_RESOURCES.migrations },
    acknowledge: a.acknowledge,
    backups: {
      ...a.backups,
      enabled: a.backups.enabled ?? embeddedPostgresql,
      resources: DEFAULT_RESOURCES.backup,
      s3: a.backups.s3 && {
        ...a.backups.s3,
        prefix: s3Prefix(a.backups.s3.prefix ?? `${a.namespace}/${name}/`),
        retention: a.backups.s3.retention ?? a.backups.retention,
        resources: DEFAULT_RESOURCES.backupUpload,
      },
    },
    maintenance: { ...a.maintenance, resources: DEFAULT_RESOURCES.maintenance },
    admin: a.admin,
    metrics: { ...a.metrics, alerts: a.metrics.alerts ?? a.metrics.serviceMonitor },
    search: resolveSearch(name, a),
    /** Accepted but risky settings, logged by the component as warnings. */
    warnings: argsWarnings(a),
  };
}

/** A process's pod count: fixed (`replicas`, 1 by default), or the bounds of the HorizontalPodAutoscaler that sets it. */
function scaling(p: { replicas?: number; autoscaling?: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number } }) {
  const s = p.autoscaling;
  return {
    replicas: s ? s.minReplicas : p.replicas ?? 1,
    autoscaling: s && ({ scaler: "cpu", minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetCPUUtilizationPercentage: s.targetCPUUtilizationPercentage } as AutoscalingConfig),
  };
}

/** A sidekiq group's: the same, driven by CPU or by KEDA on its queues. */
function sidekiqScaling(w: { replicas?: number; autoscaling?: ParsedWorker["autoscaling"] }) {
  const s = w.autoscaling;
  return {
    replicas: s ? s.minReplicas : w.replicas ?? 1,
    autoscaling: s && <AutoscalingConfig>{
      scaler: s.scaler,
      minReplicas: s.minReplicas,
      maxReplicas: s.maxReplicas,
      targetCPUUtilizationPercentage: s.targetCPUUtilizationPercentage ?? 75,
      // KEDA reads one of them: the latency when it is given, else the backlog.
      targetQueueLength: s.targetQueueLatencySeconds === undefined ? s.targetQueueLength ?? 100 : undefined,
      targetQueueLatencySeconds: s.targetQueueLatencySeconds,
    },
  };
}
type ParsedWorker = NonNullable<ParsedArgs["sidekiqWorkers"]>[number];
/** Full-text search: off, an embedded OpenSearch, or an external server (its host held to the isolation rule). */
function resolveSearch(name: string, a: ParsedArgs) {
  const s = a.search;
  const external = s.enabled && s.external ? s.external : undefined;
  return {
    enabled: s.enabled,
    embedded: s.enabled && !external,
    external: external && {
      ...external,
      host: isolatedHost(name, a, ["search", "external", "host"], external.host),
      indexPrefix: external.indexPrefix ?? name,
    },
    image: s.image ?? OPENSEARCH_IMAGE,
    storageSize: s.storageSize ?? "8Gi",
    storageClassName: s.storageClassName,
    resources: withProfile(s.resources, DEFAULT_RESOURCES.search),
    deploy: { ...SEARCH_DEPLOY_DEFAULTS, ...s.deploy, resources: DEFAULT_RESOURCES.searchDeploy },
  };
}

/** A key prefix as the scripts use it: empty, or ending with one "/". */
function s3Prefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** What a gateway is built from (provider/egressGateway.ts). */
export type EgressGatewaySettings = Required<Pick<z.output<z.ZodObject<typeof egressGatewayOptions>>, keyof typeof egressGatewayOptions>>;

function pickGatewaySettings(g: EgressGatewaySettings): EgressGatewaySettings {
  return { replicas: g.replicas, image: g.image, resources: g.resources, blockedDomains: g.blockedDomains, allowedDomains: g.allowedDomains };
}

/** What every Mastodon process, Job and rollout may hold at once: the clients a PgBouncer pod may have to take. */
function clientConnections(a: ParsedArgs, workers: Parameters<typeof connectionBudget>[1]): number {
  return connectionBudget({ ...a, searchDeploy: a.search.enabled ? searchDeployConnections(a.search.deploy?.concurrency) : undefined }, workers).total;
}

/** The resolved, validated configuration of one instance. */
export type MastodonConfig = ReturnType<typeof resolve>;
export type SidekiqWorkerConfig = MastodonConfig["sidekiqWorkers"][number];
/** A process's autoscaler, when it has one: its bounds, and what drives it. */
export interface AutoscalingConfig {
  scaler: "cpu" | "keda";
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage: number;
  /** With KEDA on the backlog: waiting jobs per pod, per queue. */
  targetQueueLength?: number;
  /** With KEDA on the latency: the oldest job's wait to keep each queue near, in seconds. */
  targetQueueLatencySeconds?: number;
}

/** Validates `args` for the component named `name`; throws one error naming every bad field. */
export function parseArgs(name: string, args: MastodonClusterArgs): MastodonConfig {
  const component = `MastodonCluster "${name}"`;
  if (!K8S_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgsError(component, [
      `name: got ${JSON.stringify(name)}; expected lowercase letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters (it prefixes Kubernetes names)`,
    ]);
  }
  return parseOrThrow(`MastodonCluster "${name}"`, mastodonClusterArgsSchema(name), args ?? {});
}
